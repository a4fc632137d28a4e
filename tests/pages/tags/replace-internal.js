// A tag that replaces window.pintrk with its own function and runs the
// queued commands by calling that function directly.
(function () {
  var queued = window.pintrk.queue.slice();
  var ran = window.fakeTagRan = window.fakeTagRan || [];

  function tag() {
    ran.push(JSON.stringify(Array.prototype.slice.call(arguments)));
  }
  window.pintrk = tag;
  for (var i = 0; i < queued.length; i++) tag.apply(window, queued[i]);
  window.fakeTagLoaded = "replace-internal";
})();
