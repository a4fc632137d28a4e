// Checks of the offline Pinterest tag emulator (fixtures/pinterest/core.js) in a fake window.
//
// Run: node --test tests/js/
// The fake window records image beacons, XHRs and form posts instead of sending them;
// each test responds to the /user/ XHR itself.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const CORE_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'pinterest', 'core.js');
const CORE_CODE = readFileSync(CORE_FILE, 'utf8');
const TAG_ID = '2612345678901';
const PAGE_URL = 'https://shop.example/thanks';
// SHA-256 of "test@example.com", the normalised form of " Test@Example.com ".
const TEST_EMAIL_HASH = '973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b';

// A window with the standard pintrk stub, `queued` commands on it, and recording fakes.
function createPage({ queued = [], readyState = 'complete' } = {}) {
  const requests = [];
  const xhrs = [];
  const messages = { warn: [], error: [] };
  const loadListeners = [];

  class FakeImage {
    set src(url) {
      requests.push({ transport: 'image', method: 'GET', url });
    }
  }

  class FakeXhr {
    open(method, url) {
      this.method = method;
      this.url = url;
    }
    send() {
      requests.push({ transport: 'xhr', method: this.method, url: this.url, withCredentials: this.withCredentials });
      xhrs.push(this);
    }
    respond(status, text) {
      this.status = status;
      this.responseText = text;
      this.onload();
    }
  }

  const document = {
    readyState,
    referrer: '',
    body: { appendChild() {}, removeChild() {} },
    createElement(tagName) {
      const node = { tagName, style: {}, children: [], setAttribute() {} };
      node.appendChild = (child) => node.children.push(child);
      node.submit = () => {
        const body = new URLSearchParams(node.children.map((input) => [input.name, input.value])).toString();
        requests.push({ transport: 'form', method: node.method.toUpperCase(), url: node.action, target: node.target, body });
      };
      return node;
    },
  };

  const window = vm.createContext({
    document,
    Image: FakeImage,
    XMLHttpRequest: FakeXhr,
    TextEncoder,
    location: { href: PAGE_URL },
    screen: { height: 1080, width: 1920 },
    console: {
      warn: (text) => messages.warn.push(text),
      error: (text) => messages.error.push(text),
      log: () => {},
    },
    addEventListener: (type, listener) => {
      if (type === 'load') loadListeners.push(listener);
    },
  });
  window.window = window;
  window.self = window;
  window.top = window;
  vm.runInContext(
    'window.pintrk = function () { window.pintrk.queue.push(Array.prototype.slice.call(arguments)); };' +
      'window.pintrk.queue = []; window.pintrk.version = "3.0";',
    window,
  );
  for (const command of queued) window.pintrk(...command);
  vm.runInContext(CORE_CODE, window, { filename: CORE_FILE });

  const fireLoad = () => {
    document.readyState = 'complete';
    loadListeners.splice(0).forEach((listener) => listener());
  };
  return { window, requests, xhrs, messages, fireLoad };
}

// Let queued microtasks (the emulator's sends) run.
const settle = () => new Promise((resolve) => setImmediate(resolve));

function params(request) {
  const query = request.transport === 'form' ? request.body : new URL(request.url).search.slice(1);
  return new URLSearchParams(query);
}

function jsonParam(request, name) {
  const value = params(request).get(name);
  return value === null ? null : JSON.parse(value);
}

test('sha256 matches node crypto', () => {
  const { window } = createPage();
  const inputs = ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'a'.repeat(1000), 'héllo ☃ 😀'];
  for (const input of inputs) {
    const expected = crypto.createHash('sha256').update(input, 'utf8').digest('hex');
    assert.equal(window.pintrk.sha256Hex(input), expected, `input of length ${input.length}`);
  }
});

test('identity hash normalises', () => {
  const { window } = createPage();
  assert.equal(window.pintrk.hashIdentity(' Test@Example.com '), TEST_EMAIL_HASH);
});

test('identity hash keeps hex digest', () => {
  const { window } = createPage();
  assert.equal(window.pintrk.hashIdentity(TEST_EMAIL_HASH.toUpperCase()), TEST_EMAIL_HASH);
});

test('queued page sends user then init', async () => {
  const page = createPage({ queued: [['load', TAG_ID, { em: ' Test@Example.com ' }], ['page']] });
  await settle();
  assert.deepEqual(page.requests.map((request) => request.transport), ['xhr', 'image']);

  const [user, init] = page.requests;
  assert.ok(user.url.startsWith('https://ct.pinterest.com/user/?'));
  assert.equal(user.withCredentials, true);
  assert.deepEqual([...params(user).keys()], ['tid', 'pd', 'cb', 'dep']);
  assert.equal(params(user).get('dep'), '2,PAGE_LOAD');
  assert.deepEqual(jsonParam(user, 'pd'), { em: TEST_EMAIL_HASH });

  assert.ok(init.url.startsWith('https://ct.pinterest.com/v3/?'));
  assert.deepEqual([...params(init).keys()], ['tid', 'pd', 'event', 'ad', 'cb']);
  assert.equal(params(init).get('event'), 'init');
  assert.deepEqual(jsonParam(init, 'ad'), { loc: PAGE_URL, ref: '', if: false, sh: 1080, sw: 1920 });
});

test('track waits for user answer', async () => {
  const page = createPage({ queued: [['load', TAG_ID], ['page'], ['track', 'checkout', { value: '10.50', order_quantity: '1' }]] });
  await settle();
  assert.equal(page.requests.length, 2);

  page.xhrs[0].respond(200, '{}');
  await settle();
  assert.equal(page.requests.length, 3);
  const checkout = page.requests[2];
  assert.equal(params(checkout).get('event'), 'checkout');
  assert.deepEqual(jsonParam(checkout, 'ed'), { value: 10.5, order_quantity: '1' });
});

test('invalid user answer blocks tracks', async () => {
  const page = createPage({ queued: [['load', TAG_ID], ['track', 'Lead', {}]] });
  page.xhrs[0].respond(200, '<html>');
  page.window.pintrk('track', 'Signup', {});
  await settle();
  assert.deepEqual(page.requests.map((request) => request.transport), ['xhr']);
  assert.ok(page.messages.error.some((text) => text.includes('/user/')));
});

test('event data changes', async () => {
  const page = createPage({ queued: [['load', TAG_ID], ['set', { np: 'segment' }]] });
  page.window.pintrk('track', 'Custom', { note: ' Test@Example.com ', external_id: 'E-1', value: 'abc' });
  page.xhrs[0].respond(200, '{}');
  await settle();

  const event = page.requests.find((request) => params(request).get('event') === 'Custom');
  assert.deepEqual(jsonParam(event, 'ed'), { note: TEST_EMAIL_HASH, value: 'abc' });
  assert.deepEqual(jsonParam(event, 'pd'), { np: 'segment', external_id: crypto.createHash('sha256').update('e-1').digest('hex') });
  assert.ok(page.messages.error.some((text) => text.includes('not numeric')));
});

test('partner data persists', async () => {
  const page = createPage({ queued: [['load', TAG_ID], ['page']] });
  page.xhrs[0].respond(200, '{}');
  page.window.pintrk('set', { np: 'segment', em: 'test@example.com' });
  page.window.pintrk('track', 'PageVisit', {});
  page.window.pintrk('track', 'Search', {});
  await settle();

  const tracks = page.requests.filter((request) => params(request).get('ed') !== null);
  assert.equal(tracks.length, 2);
  for (const track of tracks) assert.deepEqual(jsonParam(track, 'pd'), { np: 'segment', em: TEST_EMAIL_HASH });
});

test('long event posts after load', async () => {
  const page = createPage({ readyState: 'loading', queued: [['load', TAG_ID]] });
  page.window.pintrk('track', 'Custom', { note: 'x'.repeat(3000) });
  page.xhrs[0].respond(200, '{}');
  await settle();
  assert.deepEqual(page.requests.map((request) => request.transport), ['xhr']);

  page.fireLoad();
  const post = page.requests[1];
  assert.equal(post.transport, 'form');
  assert.equal(post.method, 'POST');
  assert.equal(post.url, 'https://ct.pinterest.com/v3/');
  assert.equal(jsonParam(post, 'ed').note.length, 3000);
});

test('short event uses image', async () => {
  const page = createPage({ queued: [['load', TAG_ID]] });
  page.window.pintrk('track', 'Custom', { note: 'x'.repeat(100) });
  page.xhrs[0].respond(200, '{}');
  await settle();
  assert.equal(page.requests[1].transport, 'image');
});

test('page before load sends nothing', async () => {
  const page = createPage({ queued: [['page']] });
  await settle();
  assert.equal(page.requests.length, 0);
  assert.ok(page.messages.error.some((text) => text.includes('before load')));
});

test('consent withheld stops sending', async () => {
  const page = createPage({ queued: [['load', TAG_ID], ['setconsent', false], ['page']] });
  await settle();
  assert.equal(page.requests.length, 0);
});

test('console warnings', async () => {
  const page = createPage({ queued: [[' LOAD ', TAG_ID], ['bogus'], ['load', '999'], ['track', 'My Event']] });
  await settle();
  const warnings = page.messages.warn.join('\n');
  assert.match(warnings, /"bogus" is not a supported pintrk command/);
  assert.match(warnings, /load was called again/);
  assert.match(warnings, /"My Event" is not a standard event name/);
  assert.equal(page.window.pintrk.tagId, '999');
});

test('commands after load run at once', async () => {
  const page = createPage({ queued: [['load', TAG_ID]] });
  page.window.pintrk('page');
  await settle();
  assert.equal(page.requests.length, 2);
  assert.equal(page.window.pintrk.queue.length, 2);
});

test('second copy is ignored', async () => {
  const page = createPage({ queued: [['load', TAG_ID], ['page']] });
  vm.runInContext(CORE_CODE, page.window, { filename: CORE_FILE });
  await settle();
  assert.equal(page.requests.filter((request) => request.transport === 'image').length, 1);
});
