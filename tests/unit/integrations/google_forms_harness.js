// Runs integrations/google-forms/Code.gs under Node with stand-ins for the Apps Script services it
// touches, so tests/unit/integrations/test_google_forms_script.py can check what it would send.
//
// Reads one scenario (JSON) on stdin and writes one result (JSON) on stdout:
//   scenario: { action: "build" | "submit" | "run_from_editor" | "resend" | "setup" | "setup_twice",
//               now: ISO time, properties: {...}, form: {id, title},
//               responses: [{id, timestamp, email, items: [{id, title, type, response, rows}]}],
//               statuses: [HTTP status | "error", ...], fetch_ms: time each fetch takes,
//               triggers: [handler names already installed] }
//   result:   { submission?, requests: [{url, options}], sleeps: [...], logs: [...], error?, triggers: [...],
//               properties: {Script Properties after the run}, elapsed_ms }
//
// The stand-ins follow the Apps Script reference: byte arrays are Java-style signed bytes,
// computeHmacSha256Signature takes (String, String) or (Byte[], Byte[]), enum values print their name.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const vm = require('vm');

const CODE_GS = path.resolve(__dirname, '../../../integrations/google-forms/Code.gs');

function toSignedBytes(buffer) {
  return Array.from(buffer, (byte) => (byte > 127 ? byte - 256 : byte));
}

function fromBytes(bytes) {
  if (!Array.isArray(bytes)) throw new TypeError('expected a Byte[]');
  bytes.forEach((b) => {
    if (!Number.isInteger(b) || b < -128 || b > 127) throw new TypeError('not a Java byte: ' + b);
  });
  return Buffer.from(bytes.map((b) => (b < 0 ? b + 256 : b)));
}

function enumValue(name) {
  return Object.freeze({ name, toString: () => name });
}

function makeUtilities(sleeps) {
  const Charset = Object.freeze({ UTF_8: enumValue('UTF_8'), US_ASCII: enumValue('US_ASCII') });
  return {
    Charset,
    base64Encode(data, charset) {
      if (typeof data === 'string') {
        if (charset !== undefined && charset !== Charset.UTF_8 && charset !== Charset.US_ASCII) {
          throw new TypeError('unknown charset');
        }
        return Buffer.from(data, charset === Charset.US_ASCII ? 'latin1' : 'utf8').toString('base64');
      }
      return fromBytes(data).toString('base64');
    },
    base64Decode(encoded) {
      if (typeof encoded !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(encoded)) {
        throw new Error('Invalid argument: ' + encoded);
      }
      return toSignedBytes(Buffer.from(encoded, 'base64'));
    },
    computeHmacSha256Signature(value, key) {
      const strings = typeof value === 'string' && typeof key === 'string';
      const bytes = Array.isArray(value) && Array.isArray(key);
      if (!strings && !bytes) {
        throw new TypeError('computeHmacSha256Signature takes (String, String) or (Byte[], Byte[])');
      }
      const mac = crypto.createHmac('sha256', strings ? Buffer.from(key, 'utf8') : fromBytes(key));
      mac.update(strings ? Buffer.from(value, 'utf8') : fromBytes(value));
      return toSignedBytes(mac.digest());
    },
    sleep(milliseconds) {
      sleeps.push(milliseconds);
    },
  };
}

function makeForm(scenario, itemTypes) {
  const form = scenario.form || {};
  const responses = (scenario.responses || []).map((r) => makeResponse(r, itemTypes));
  return {
    getId: () => form.id,
    getTitle: () => form.title || '',
    getResponses: () => responses,
  };
}

function makeResponse(spec, itemTypes) {
  return {
    getId: () => spec.id,
    getTimestamp: () => new Date(spec.timestamp),
    getRespondentEmail: () => (spec.email === undefined || spec.email === null ? '' : spec.email),
    getItemResponses: () =>
      (spec.items || []).map((itemSpec) => {
        const rows = () => itemSpec.rows || [];
        const item = {
          getId: () => itemSpec.id,
          getTitle: () => itemSpec.title,
          getType: () => itemTypes[itemSpec.type],
          asGridItem: () => ({ getRows: rows }),
          asCheckboxGridItem: () => ({ getRows: rows }),
        };
        return { getItem: () => item, getResponse: () => itemSpec.response };
      }),
  };
}

function run(scenario) {
  const requests = [];
  const sleeps = [];
  const logs = [];
  const statuses = (scenario.statuses || []).slice();
  const triggers = (scenario.triggers || []).map((handler) => ({ getHandlerFunction: () => handler }));
  const itemTypes = {};
  [
    'CHECKBOX', 'CHECKBOX_GRID', 'DATE', 'DATETIME', 'DURATION', 'FILE_UPLOAD', 'GRID', 'IMAGE', 'LIST',
    'MULTIPLE_CHOICE', 'PAGE_BREAK', 'PARAGRAPH_TEXT', 'RATING', 'SCALE', 'SECTION_HEADER', 'TEXT', 'TIME', 'VIDEO',
  ].forEach((name) => {
    itemTypes[name] = enumValue(name);
  });
  const form = makeForm(scenario, itemTypes);
  const properties = Object.assign({}, scenario.properties || {});
  const fixedNow = Date.parse(scenario.now);
  let clock = fixedNow;

  const sandbox = {
    console: { log: (line) => logs.push(String(line)) },
    Logger: { log: (line) => logs.push(String(line)) },
    Utilities: makeUtilities(sleeps),
    PropertiesService: {
      getScriptProperties: () => ({
        getProperty: (name) => (name in properties ? properties[name] : null),
        setProperty: (name, value) => {
          properties[name] = String(value);
        },
        deleteProperty: (name) => {
          delete properties[name];
        },
      }),
    },
    FormApp: { ItemType: itemTypes, getActiveForm: () => form },
    UrlFetchApp: {
      fetch(url, options) {
        requests.push({ url, options: JSON.parse(JSON.stringify(options)) });
        clock += scenario.fetch_ms || 0;
        const status = statuses.length ? statuses.shift() : 200;
        if (status === 'error') throw new Error('Address unavailable: ' + url);
        return { getResponseCode: () => status, getContentText: () => '{}' };
      },
    },
    ScriptApp: {
      getProjectTriggers: () => triggers.slice(),
      deleteTrigger: (trigger) => triggers.splice(triggers.indexOf(trigger), 1),
      newTrigger: (handler) => ({
        forForm: (target) => ({
          onFormSubmit: () => ({
            create: () => {
              if (target !== form) throw new Error('trigger for another form');
              triggers.push({ getHandlerFunction: () => handler });
            },
          }),
        }),
      }),
    },
  };
  // A clock that only moves when Utilities.sleep() is called, as time would during a real pause.
  const RealDate = Date;
  sandbox.Date = class FixedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(clock);
      else super(...args);
    }
    static now() {
      return clock;
    }
  };
  const realSleep = sandbox.Utilities.sleep;
  sandbox.Utilities.sleep = (ms) => {
    realSleep(ms);
    clock += ms;
  };

  vm.createContext(sandbox);
  vm.runInContext(fs.readFileSync(CODE_GS, 'utf8'), sandbox, { filename: 'Code.gs' });

  const result = { requests, sleeps, logs };
  try {
    if (scenario.action === 'build') {
      const response = form.getResponses()[0];
      result.submission = sandbox.buildSubmission_(form, response, new sandbox.Date());
    } else if (scenario.action === 'submit') {
      sandbox.onFormSubmit({ source: form, response: form.getResponses()[0] });
    } else if (scenario.action === 'run_from_editor') {
      sandbox.onFormSubmit(undefined);
    } else if (scenario.action === 'resend') {
      sandbox.sendExistingResponses();
    } else if (scenario.action === 'setup') {
      sandbox.setup();
    } else if (scenario.action === 'setup_twice') {
      sandbox.setup();
      sandbox.setup();
    } else {
      throw new Error('unknown action ' + scenario.action);
    }
  } catch (error) {
    result.error = String(error && error.message ? error.message : error);
  }
  result.triggers = triggers.map((t) => t.getHandlerFunction());
  result.properties = properties;
  result.elapsed_ms = clock - fixedNow;
  return result;
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(JSON.stringify(run(JSON.parse(input))));
