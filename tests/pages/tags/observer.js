// A script that wraps whatever window.pintrk is (as tag managers do to watch
// it) and passes every call on to the function it replaced. It shares the
// queue, because the stub pushes onto window.pintrk.queue.
(function () {
  var previous = window.pintrk;
  var observed = window.observedCalls = [];
  var observer = function () {
    observed.push(JSON.stringify(Array.prototype.slice.call(arguments)));
    return previous.apply(this, arguments);
  };
  observer.queue = previous.queue;
  observer.version = previous.version;
  window.pintrk = observer;
  window.fakeObserverLoaded = true;
})();
