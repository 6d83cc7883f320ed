/* pages.js - being written */
