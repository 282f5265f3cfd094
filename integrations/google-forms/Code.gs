/**
 * mentorflow for Google Forms.
 *
 * Bound to one form (in the form editor: ⋮ More → Apps Script), this script posts each response to
 * mentorflow as a `form.submitted` event, signed the Standard Webhooks way, so that
 * mentorflow can prove the response came from this form. Google Forms' own push
 * notifications (Forms API watches) need a Google Cloud project with Pub/Sub and carry
 * no answers; an installable "On form submit" trigger needs neither.
 *
 * Setup (README.md has the details):
 *   1. Project Settings → Script Properties: MENTORFLOW_URL (the https://…/hooks/google-forms/<id>
 *      URL from mentorflow) and MENTORFLOW_SECRET (the whsec_… secret shown once).
 *   2. Run setup() once and grant the permissions it asks for.
 *
 * What leaves the form: the answers, the response id and time, and the respondent's
 * e-mail when the form collects it. What is logged: response ids and HTTP statuses,
 * never an answer, an e-mail address or the secret.
 */

var MENTORFLOW_URL_PROPERTY = 'MENTORFLOW_URL';
var MENTORFLOW_SECRET_PROPERTY = 'MENTORFLOW_SECRET';
var MENTORFLOW_HANDLER = 'onFormSubmit';
var MENTORFLOW_PLATFORM = 'google-forms';
var MENTORFLOW_MAX_ATTEMPTS = 4;
var MENTORFLOW_FIRST_BACKOFF_MS = 2000;
// Apps Script stops any run after 6 minutes; sendExistingResponses() leaves itself a margin.
var MENTORFLOW_RESEND_BUDGET_MS = 4.5 * 60 * 1000;
var MENTORFLOW_RESEND_NEXT_PROPERTY = 'MENTORFLOW_RESEND_NEXT';

/** Installs the form-submit trigger (once: an older one is replaced). Run it from the editor. */
function setup() {
  var form = FormApp.getActiveForm();
  if (!form) {
    throw new Error('mentorflow: open this script from the form (⋮ More → Apps Script) so it is bound to it.');
  }
  readConfig_(PropertiesService.getScriptProperties());
  ScriptApp.getProjectTriggers().forEach(function (trigger) {
    if (trigger.getHandlerFunction() === MENTORFLOW_HANDLER) {
      ScriptApp.deleteTrigger(trigger);
    }
  });
  ScriptApp.newTrigger(MENTORFLOW_HANDLER).forForm(form).onFormSubmit().create();
  console.log('mentorflow: form-submit trigger installed for form ' + form.getId());
}

/** The installable trigger's handler: sends the response that was just submitted. */
function onFormSubmit(e) {
  if (!e || !e.response) {
    throw new Error(
      'mentorflow: onFormSubmit runs from the form-submit trigger; to send by hand, run sendExistingResponses.'
    );
  }
  var config = readConfig_(PropertiesService.getScriptProperties());
  var form = (e && e.source) || FormApp.getActiveForm();
  var submission = buildSubmission_(form, e.response, new Date());
  var outcome = deliver_(config, submission, appsScriptDeps_());
  if (!outcome.delivered) {
    // A failed run shows in Executions and, by default, in the owner's failure e-mails.
    var reason = describeStatus_(outcome.status);
    throw new Error('mentorflow: response ' + submission.data.response_id + ' was not delivered (' + reason + ')');
  }
}

/**
 * Sends every response the form already holds: those from before setup(), or from a time when
 * mentorflow refused them (a wrong secret). Each keeps the id of its first delivery, so mentorflow
 * ignores the ones it already has. On a large form it stops before Apps Script's time limit and
 * remembers where: run it again to continue. A finished pass starts over next time.
 */
function sendExistingResponses() {
  var properties = PropertiesService.getScriptProperties();
  var config = readConfig_(properties);
  var form = FormApp.getActiveForm();
  var deps = appsScriptDeps_();
  var started = deps.now().getTime();
  var responses = form.getResponses();
  var first = Number(properties.getProperty(MENTORFLOW_RESEND_NEXT_PROPERTY) || 0);
  var next = first < responses.length ? first : 0;
  var sent = 0;
  var failed = 0;
  for (; next < responses.length; next++) {
    if (deps.now().getTime() - started > MENTORFLOW_RESEND_BUDGET_MS) {
      break;
    }
    // One attempt each: a response that fails is counted and sent again by the next pass, and no
    // single response can push the run past the time limit with its retry pauses.
    var outcome = deliver_(config, buildSubmission_(form, responses[next], deps.now()), deps, 1);
    if (outcome.delivered) {
      sent++;
    } else {
      failed++;
    }
  }
  if (next < responses.length) {
    properties.setProperty(MENTORFLOW_RESEND_NEXT_PROPERTY, String(next));
  } else {
    properties.deleteProperty(MENTORFLOW_RESEND_NEXT_PROPERTY);
  }
  console.log(
    'mentorflow: ' + sent + ' sent, ' + failed + ' failed, ' + (responses.length - next) + ' left' +
      (next < responses.length ? ': run sendExistingResponses again to continue' : '')
  );
}

/** Reads and checks the two Script Properties; the message says which one is wrong. */
function readConfig_(properties) {
  var url = String(properties.getProperty(MENTORFLOW_URL_PROPERTY) || '').trim();
  var secret = String(properties.getProperty(MENTORFLOW_SECRET_PROPERTY) || '').trim();
  if (!/^https:\/\/[^\s\/?#]+(\/[^\s?#]*)?\/hooks\/google-forms\/[^\s\/?#]+$/.test(url)) {
    throw new Error(
      'mentorflow: Script Property ' + MENTORFLOW_URL_PROPERTY +
        ' must be the https://…/hooks/google-forms/<endpoint id> URL that mentorflow returned.'
    );
  }
  if (!/^whsec_[A-Za-z0-9+\/]+={0,2}$/.test(secret)) {
    throw new Error(
      'mentorflow: Script Property ' + MENTORFLOW_SECRET_PROPERTY +
        ' must be the whsec_… secret that mentorflow showed when the endpoint was created.'
    );
  }
  return { url: url, secret: secret };
}

/** The neutral `form.submitted` event for one response (see integrations/standard-submission.schema.json). */
function buildSubmission_(form, response, now) {
  var email = String(response.getRespondentEmail() || '').trim();
  return {
    type: 'form.submitted',
    timestamp: now.toISOString(),
    data: {
      form_id: String(form.getId()),
      form_title: form.getTitle() || null,
      platform: MENTORFLOW_PLATFORM,
      response_id: String(response.getId()),
      submitted_at: response.getTimestamp().toISOString(),
      respondent_email: email || null,
      answers: response.getItemResponses().map(answerFor_),
    },
  };
}

/** One question and its answer, reduced to text, a number, a list of texts or a grid of them. */
function answerFor_(itemResponse) {
  var item = itemResponse.getItem();
  var raw = itemResponse.getResponse();
  var kind = String(item.getType());
  var typed = answerValue_(kind, item, raw);
  return { id: String(item.getId()), title: item.getTitle() || null, type: typed.type, value: typed.value };
}

function answerValue_(kind, item, raw) {
  switch (kind) {
    case 'TEXT':
    case 'PARAGRAPH_TEXT':
      return { type: 'text', value: textOrNull_(raw) };
    case 'MULTIPLE_CHOICE':
    case 'LIST':
      return { type: 'choice', value: textOrNull_(raw) };
    case 'CHECKBOX':
      return { type: 'choices', value: texts_(raw) };
    case 'SCALE':
    case 'RATING':
      return { type: 'number', value: numberOrText_(raw) };
    case 'DATE':
    case 'DATETIME':
      // Google sends "2024-05-01", "05-01" (no year asked) or "2024-05-01 13:45", in the form's time zone.
      return { type: 'date', value: textOrNull_(raw) };
    case 'TIME':
      return { type: 'time', value: textOrNull_(raw) };
    case 'GRID':
      return { type: 'matrix', value: grid_(item.asGridItem().getRows(), raw) };
    case 'CHECKBOX_GRID':
      return { type: 'matrix', value: grid_(item.asCheckboxGridItem().getRows(), raw) };
    case 'FILE_UPLOAD':
      // Drive file ids; the links open only for people the files are shared with.
      return {
        type: 'file',
        value: texts_(raw).map(function (id) {
          return 'https://drive.google.com/open?id=' + encodeURIComponent(id);
        }),
      };
    default:
      // DURATION and any type Google adds later: kept as plain text rather than dropped.
      return { type: 'other', value: Array.isArray(raw) ? texts_(raw) : textOrNull_(raw) };
  }
}

function textOrNull_(raw) {
  if (raw === null || raw === undefined) {
    return null;
  }
  var text = String(raw);
  return text.trim() ? text : null;
}

function texts_(raw) {
  var values = Array.isArray(raw) ? raw : raw === null || raw === undefined ? [] : [raw];
  return values
    .map(function (value) {
      return textOrNull_(value);
    })
    .filter(function (value) {
      return value !== null;
    });
}

function numberOrText_(raw) {
  var text = textOrNull_(raw);
  if (text === null) {
    return null;
  }
  var number = Number(text);
  return isFinite(number) ? number : text;
}

/** A grid answer as {row text: column text (grid) or [column texts] (checkbox grid)}; unanswered rows left out. */
function grid_(rows, raw) {
  var answers = Array.isArray(raw) ? raw : [];
  var grid = {};
  var any = false;
  for (var i = 0; i < rows.length && i < answers.length; i++) {
    var picked = Array.isArray(answers[i]) ? texts_(answers[i]) : textOrNull_(answers[i]);
    if (picked === null || (Array.isArray(picked) && picked.length === 0)) {
      continue;
    }
    grid[String(rows[i])] = picked;
    any = true;
  }
  return any ? grid : null;
}

/**
 * JSON with every non-ASCII character written as \uXXXX. The body is then the same bytes
 * whatever charset UrlFetchApp picks, so the signature covers exactly what is sent.
 */
function toAsciiJson_(value) {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, function (character) {
    return '\\u' + ('0000' + character.charCodeAt(0).toString(16)).slice(-4);
  });
}

/** The `webhook-signature` value: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>, key = base64-decoded secret. */
function sign_(secret, messageId, timestamp, body) {
  var key = Utilities.base64Decode(secret.replace(/^whsec_/, ''));
  var content = utf8Bytes_(messageId + '.' + timestamp + '.' + body);
  return 'v1,' + Utilities.base64Encode(Utilities.computeHmacSha256Signature(content, key));
}

function utf8Bytes_(text) {
  return Utilities.base64Decode(Utilities.base64Encode(text, Utilities.Charset.UTF_8));
}

/**
 * The delivery id: the same for every retry of one submission, new when the respondent edits
 * the response (Google keeps the response id and moves its timestamp), so an edit is not
 * mistaken for a duplicate.
 */
function messageId_(submission) {
  return 'msg_' + submission.data.response_id + '_' + Date.parse(submission.data.submitted_at);
}

/** The UrlFetchApp call for one attempt, signed for `timestamp` (unix seconds). */
function signedRequest_(config, submission, messageId, timestamp) {
  var body = toAsciiJson_(submission);
  return {
    url: config.url,
    options: {
      method: 'post',
      contentType: 'application/json',
      payload: body,
      headers: {
        'webhook-id': messageId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': sign_(config.secret, messageId, timestamp, body),
      },
      muteHttpExceptions: true,
      followRedirects: false,
    },
  };
}

/**
 * Posts the submission, retrying a few times with growing pauses when mentorflow is unreachable,
 * busy or failing (no answer, 408, 429, 5xx). Any other refusal (a wrong secret, a deleted
 * endpoint) would only repeat, so it ends the attempts at once.
 */
function deliver_(config, submission, deps, maxAttempts) {
  var attempts = maxAttempts || MENTORFLOW_MAX_ATTEMPTS;
  var messageId = messageId_(submission);
  var status = 0;
  var attempt = 1;
  for (; attempt <= attempts; attempt++) {
    // Signed afresh each time: mentorflow refuses timestamps more than 5 minutes old.
    var timestamp = Math.floor(deps.now().getTime() / 1000);
    var request = signedRequest_(config, submission, messageId, timestamp);
    try {
      status = deps.fetch(request.url, request.options).getResponseCode();
    } catch (error) {
      // DNS, TLS or a timeout. The error text may quote the URL, so it is not logged.
      status = 0;
    }
    deps.log(
      'mentorflow: response ' + submission.data.response_id + ', attempt ' + attempt + ': ' + describeStatus_(status)
    );
    if (status >= 200 && status < 300) {
      return { delivered: true, status: status, attempts: attempt };
    }
    if (!retryable_(status) || attempt === attempts) {
      break;
    }
    deps.sleep(MENTORFLOW_FIRST_BACKOFF_MS * Math.pow(2, attempt - 1));
  }
  return { delivered: false, status: status, attempts: attempt };
}

function retryable_(status) {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

function describeStatus_(status) {
  return status ? 'HTTP ' + status : 'no answer';
}

function appsScriptDeps_() {
  return {
    fetch: function (url, options) {
      return UrlFetchApp.fetch(url, options);
    },
    sleep: function (milliseconds) {
      Utilities.sleep(milliseconds);
    },
    now: function () {
      return new Date();
    },
    log: function (line) {
      console.log(line);
    },
  };
}
