/* qr.js - being written */
