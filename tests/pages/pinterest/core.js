// A stand-in for Pinterest's tag, for the harness's own tests: it runs the
// commands the stub queued, first in first out, then replaces queue.push so
// later commands run at once, as the real tag does. It records what it ran in
// window.fakeTagRan and changes the event data it receives, so tests can tell
// what the page passed from what the tag did with it.
(function () {
  var pintrk = window.pintrk;
  var ran = window.fakeTagRan = window.fakeTagRan || [];

  function run(args) {
    args = Array.prototype.slice.call(args);
    ran.push(JSON.stringify(args));
    if (args[0] === "track" && args[2] && typeof args[2] === "object") args[2].changedByTag = true;
    if (["load", "page", "track", "set"].indexOf(args[0]) === -1) {
      console.warn("'" + args[0] + "' is not a supported pintrk command");
    }
  }

  var queue = pintrk.queue;
  while (queue.length) run(queue.shift());
  queue.push = function () {
    for (var i = 0; i < arguments.length; i++) run(arguments[i]);
    return 0;
  };
  window.fakeTagLoaded = "drain";
})();
