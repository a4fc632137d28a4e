// A tag that gives pintrk a new queue whose push runs each command, then
// moves the stub's queued commands onto it with push.
(function () {
  var pintrk = window.pintrk;
  var queued = pintrk.queue;
  var ran = window.fakeTagRan = window.fakeTagRan || [];

  var queue = [];
  queue.push = function () {
    for (var i = 0; i < arguments.length; i++) ran.push(JSON.stringify(arguments[i]));
    return 0;
  };
  pintrk.queue = queue;
  for (var i = 0; i < queued.length; i++) pintrk.queue.push(queued[i]);
  window.fakeTagLoaded = "requeue";
})();
