/* Site-specific behaviour, loaded after static/vendor/htmx/htmx.min.js and
   static/vendor/bootstrap/bootstrap.bundle.min.js. Served from this origin only
   (CSP script-src 'self'): no inline scripts, no CDN. */
"use strict";
