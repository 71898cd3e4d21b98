// esbuild settings of plotly.js' own esbuild-config.js, for the report entry (index.js).
// Run from the root of the unpacked plotly.js npm package (see build.sh).
const esbuild = require(process.env.ESBUILD || 'esbuild');

esbuild
    .build({
        entryPoints: ['./index-report.js'],
        outfile: './dist/plotly-report.min.js',
        format: 'iife',
        globalName: 'Plotly',
        bundle: true,
        minify: true,
        sourcemap: false,
        // maplibre's CSS and the WebGL shaders belong to trace types not in this bundle
        loader: { '.css': 'empty', '.glsl': 'text' },
        alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
        define: { global: 'window', 'define.amd': 'false', 'process.env.NODE_DEBUG': 'false' },
        target: 'es2016',
        legalComments: 'eof',
        logLevel: 'info',
    })
    .catch(() => process.exit(1));
