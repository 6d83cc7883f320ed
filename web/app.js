/* app.js - being written */
