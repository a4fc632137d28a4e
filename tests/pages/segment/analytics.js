// A stand-in for analytics.js, for the harness's own tests: it records the
// arguments of each public call in window.analyticsCalls.
(function () {
  var calls = window.analyticsCalls = [];
  function recorder(method) {
    return function () {
      calls.push([method].concat(Array.prototype.slice.call(arguments)));
    };
  }
  window.analytics = {page: recorder("page"), track: recorder("track"), identify: recorder("identify")};
})();
