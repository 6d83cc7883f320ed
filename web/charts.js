/* charts.js - being written */
