// Check the fixture "Pinterest Tag" destination against the recorded destination vectors.
//
// Usage: node tests/js/run_destination_vectors.mjs [VECTORS.jsonl]
// (default: ../shared/vectors/segment-destination.jsonl beside the repository).
//
// Each case runs in a fresh fake window, a node:vm context with facade.js and
// pinterest-destination.js loaded. The destination is initialised with the
// case's settings and stored traits. Each message of `calls` is then wrapped in
// its facade and passed to the destination, as analytics.js does. The pintrk
// stub's queue is the command log. This script plays analytics.js's part in
// one respect: a destination that never became ready (empty tid) receives no
// calls. Exit status 0 when every case matches, 1 otherwise.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEFAULT_VECTORS = path.resolve(REPOSITORY, '..', 'shared', 'vectors', 'segment-destination.jsonl');
const SCRIPTS = ['fixtures/segment/facade.js', 'fixtures/segment/pinterest-destination.js'].map((relative) => ({
  filename: path.join(REPOSITORY, relative),
  code: readFileSync(path.join(REPOSITORY, relative), 'utf8'),
}));
const CORE_URL = 'https://s.pinimg.com/ct/core.js';

// A window with just enough document for the destination to add its script tag.
function createWindow() {
  const insertedScripts = [];
  const document = {
    createElement: (tagName) => ({ tagName }),
    getElementsByTagName: () => [],
    head: { appendChild: (element) => insertedScripts.push(element) },
  };
  const window = vm.createContext({ console, document });
  window.window = window;
  for (const script of SCRIPTS) vm.runInContext(script.code, window, { filename: script.filename });
  return { window, insertedScripts };
}

function readCases(file) {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line, index) => {
      try {
        return JSON.parse(line);
      } catch (error) {
        throw new Error(`${file} line ${index + 1} is not valid JSON (${error.message}); fix or remove the line.`);
      }
    });
}

// Run one case and return the pintrk commands grouped as in `pintrk_by_call`, plus the errors.
function runCase(testCase) {
  const { window, insertedScripts } = createWindow();
  const shim = window.__segmentShim;
  const PinterestTag = shim.destinations['Pinterest Tag'];
  const storedTraits = testCase.stored_traits || {};
  const analytics = { user: () => ({ traits: () => storedTraits }) };

  let seen = 0;
  // JSON round trip: undefined values dropped, holes become null, Dates become ISO strings.
  const takeNewCommands = () => {
    const queue = window.pintrk ? window.pintrk.queue : [];
    const fresh = queue.slice(seen);
    seen = queue.length;
    return JSON.parse(JSON.stringify(fresh));
  };

  const destination = new PinterestTag(testCase.settings, analytics, window);
  let ready = false;
  destination.initialize(() => {
    ready = true;
  });
  const problems = [];
  for (const script of insertedScripts) {
    if (script.src !== CORE_URL) problems.push(`destination loaded ${script.src}, expected ${CORE_URL}`);
    // Stands in for the browser's load event: core.js itself is not run here.
    script.onload();
  }

  const groups = [takeNewCommands()];
  const errors = [];
  testCase.calls.forEach((message, index) => {
    if (!ready) {
      groups.push([]);
      return;
    }
    try {
      destination[message.type](shim.facade.toFacade(message));
    } catch (error) {
      errors.push({ call: index, error: error.message });
    }
    groups.push(takeNewCommands());
  });
  return { groups, errors, problems };
}

function compareCase(testCase) {
  const { groups, errors, problems } = runCase(testCase);
  const differences = [...problems];
  const expectedGroups = JSON.stringify(testCase.pintrk_by_call);
  const actualGroups = JSON.stringify(groups);
  if (actualGroups !== expectedGroups) {
    differences.push(`pintrk_by_call\n    expected ${expectedGroups}\n    actual   ${actualGroups}`);
  }
  const expectedFlat = JSON.stringify(testCase.pintrk);
  const actualFlat = JSON.stringify(groups.flat());
  if (actualFlat !== expectedFlat) {
    differences.push(`pintrk\n    expected ${expectedFlat}\n    actual   ${actualFlat}`);
  }
  const expectedErrors = JSON.stringify(testCase.errors || []);
  const actualErrors = JSON.stringify(errors);
  if (actualErrors !== expectedErrors) {
    differences.push(`errors\n    expected ${expectedErrors}\n    actual   ${actualErrors}`);
  }
  return differences;
}

function main() {
  const file = process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_VECTORS;
  const cases = readCases(file);
  let failed = 0;
  for (const testCase of cases) {
    const differences = compareCase(testCase);
    if (differences.length === 0) continue;
    failed += 1;
    console.log(`FAIL ${testCase.id}`);
    for (const difference of differences) console.log(`  ${difference}`);
  }
  console.log(`${cases.length - failed} of ${cases.length} destination cases match (${file})`);
  return failed === 0 ? 0 : 1;
}

process.exitCode = main();
