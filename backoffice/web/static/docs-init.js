// Starts Swagger UI on /docs from files served by the back office itself (no CDN). Requests
// made with "Try it out" carry the session's CSRF token, which the page holds in a meta tag.
window.addEventListener("load", function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    layout: "BaseLayout",
    requestInterceptor: function (req) { req.headers["X-CSRF-Token"] = csrf; return req; }
  });
});
