// A tag that replaces window.pintrk with its own function and replays the
// queued commands by calling window.pintrk again, in the same task.
(function () {
  var queued = window.pintrk.queue.slice();
  var ran = window.fakeTagRan = window.fakeTagRan || [];

  function tag() {
    ran.push(JSON.stringify(Array.prototype.slice.call(arguments)));
  }
  window.pintrk = tag;
  for (var i = 0; i < queued.length; i++) window.pintrk.apply(window, queued[i]);
  window.fakeTagLoaded = "replace-replay";
})();
