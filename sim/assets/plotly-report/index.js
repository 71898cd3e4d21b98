'use strict';

// Entry of conflict-sim's report bundle: plotly.js core (scatter) + scattergeo + heatmap,
// the trace types the run report uses (see sim/report/html.py: BUNDLE_TRACES).
var Plotly = require('./lib/core');

Plotly.register([require('./lib/scattergeo'), require('./lib/heatmap')]);

module.exports = Plotly;
