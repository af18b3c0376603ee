// The differential table: Sieve scripts, each run on every test message (or the ones named) by tegami and by
// Pigeonhole's sieve-test; their actions must agree. A case marked `differs` says where Pigeonhole is
// documented to behave otherwise and why (docs/rules.md repeats it); such cases are checked on tegami alone.

export interface SieveCase {
  name: string;
  script: string;
  messages?: string[];
  /** Personal scripts for include (name → text), written where both engines look for them. */
  personal?: Record<string, string>;
  global?: Record<string, string>;
  /** Pigeonhole differs here on purpose; the reason (tested on tegami only, against `expect`). */
  differs?: string;
  /** For `differs` cases: tegami's expected normal form per message name (or for all under "*"). */
  expect?: Record<string, string[]>;
}

const R = (exts: string[]) => `require [${exts.map((e) => `"${e}"`).join(', ')}];\n`;

export const CASES: SieveCase[] = [
  // ── RFC 5228 base
  { name: 'empty script (implicit keep)', script: '# nothing\n' },
  { name: 'keep', script: 'keep;' },
  { name: 'discard', script: 'discard;' },
  { name: 'stop before keep', script: 'discard; stop; keep;' },
  { name: 'fileinto', script: R(['fileinto']) + 'fileinto "Archive";' },
  { name: 'fileinto INBOX merges with keep', script: R(['fileinto']) + 'keep; fileinto "INBOX"; fileinto "A"; fileinto "A";' },
  { name: 'redirect', script: 'redirect "boss@example.net";' },
  { name: 'redirect duplicates merge', script: 'redirect "a@example.net"; redirect "a@example.net";' },
  { name: 'redirect limit (runtime error → implicit keep)', script: 'redirect "a@x.example"; redirect "b@x.example"; redirect "c@x.example"; redirect "d@x.example"; redirect "e@x.example";' },
  {
    name: 'if / elsif / else on header :contains',
    script: R(['fileinto']) + 'if header :contains "subject" "report" { fileinto "Reports"; } elsif header :contains "subject" "acme" { fileinto "Lists"; } else { fileinto "Other"; }',
  },
  { name: 'header :is case-insensitive', script: R(['fileinto']) + 'if header :is "x-priority" "3" { fileinto "p3"; } if header :is "subject" "quarterly report: budget review" { fileinto "exact"; }' },
  { name: 'header :is i;octet', script: R(['fileinto']) + 'if header :is :comparator "i;octet" "subject" "quarterly report: budget review" { fileinto "octet-wrong"; } if header :is :comparator "i;octet" "subject" "Quarterly report: budget REVIEW" { fileinto "octet-right"; }' },
  { name: 'header :matches with escapes', script: R(['fileinto']) + 'if header :matches "subject" "*report?*" { fileinto "m1"; } if header :matches "subject" "\\\\[acme-users\\\\]*" { fileinto "m2"; } if header :matches "subject" "*\\\\**" { fileinto "star"; }' },
  { name: 'address parts', script: R(['fileinto']) + 'if address :domain "from" "example.org" { fileinto "org"; } if address :localpart "to" "user" { fileinto "user"; } if address :all :is "cc" "bob@example.org" { fileinto "bob"; } if address :domain :is "from" "EXAMPLE.JP" { fileinto "jp"; }' },
  { name: 'envelope', script: R(['envelope', 'fileinto']) + 'if envelope :is "from" "sender@example.org" { fileinto "envfrom"; } if envelope :domain "to" "example.com" { fileinto "envto"; }' },
  { name: 'exists / not / allof / anyof', script: R(['fileinto']) + 'if exists ["list-id", "precedence"] { fileinto "list"; } if not exists "date" { fileinto "nodate"; } if allof (exists "from", header :contains "from" "example") { fileinto "all"; } if anyof (false, true) { fileinto "any"; }' },
  { name: 'size', script: R(['fileinto']) + 'if size :over 600 { fileinto "big"; } if size :under 400 { fileinto "small"; } if size :over 100K { fileinto "huge"; }' },
  { name: 'comments and multi-line strings', script: R(['fileinto']) + '/* block\n comment */ # line\nif header :contains "subject" text:\nreport\n.\n{ fileinto "ml"; }' },

  // ── Japanese: decoded headers and bodies
  { name: 'ja header :contains', script: R(['fileinto']) + 'if header :contains "subject" "請求書" { fileinto "請求"; }' },
  { name: 'ja header :matches capture', script: R(['fileinto', 'variables']) + 'if header :matches "subject" "*の*について" { fileinto "${1}-${2}"; }' },
  { name: 'ja address from display name ignored', script: R(['fileinto']) + 'if address :domain "from" "example.jp" { fileinto "jp"; } if header :contains "from" "山田" { fileinto "yamada"; }' },
  { name: 'ja body :text', script: R(['body', 'fileinto']) + 'if body :text :contains "お世話" { fileinto "greeting"; } if body :text :contains "予算" { fileinto "budget"; }' },
  { name: 'body :content text/html and :raw', script: R(['body', 'fileinto']) + 'if body :content "text/html" :contains "<b>" { fileinto "html-tag"; } if body :raw :contains "secret-binary" { fileinto "raw-hit"; } if body :content "text" :contains "agenda" { fileinto "text-agenda"; }' },
  { name: 'body :content message/rfc822 and nested text', script: R(['body', 'fileinto']) + 'if body :content "message/rfc822" :contains "frank@example.org" { fileinto "inner-header"; } if body :content "message/rfc822" :contains "議事録" { fileinto "encoded-word"; } if body :text :contains "添付します" { fileinto "inner-text"; } if body :content "message/rfc822" :contains "添付します" { fileinto "wrong"; }' },
  { name: 'body :content application', script: R(['body', 'fileinto']) + 'if body :content "application/pdf" :contains "secret-binary" { fileinto "pdf"; }', messages: ['multipart', 'en-plain'] },

  // ── copy, mailbox
  { name: 'copy', script: R(['fileinto', 'copy']) + 'fileinto :copy "Copies"; redirect :copy "archive@example.net";' },
  { name: 'fileinto :create and mailboxexists', script: R(['fileinto', 'mailbox']) + 'if mailboxexists "INBOX" { fileinto :create "New/Sub"; } if mailboxexists "Nowhere" { fileinto "wrong"; }' },

  // ── relational
  { name: 'relational :count', script: R(['relational', 'comparator-i;ascii-numeric', 'fileinto']) + 'if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] ["3"] { fileinto "three"; } if header :count "eq" :comparator "i;ascii-numeric" "received" "1" { fileinto "onehop"; }' },
  { name: 'relational :value', script: R(['relational', 'comparator-i;ascii-numeric', 'fileinto']) + 'if header :value "lt" :comparator "i;ascii-numeric" "x-priority" "4" { fileinto "prio"; } if header :value "gt" "subject" "M" { fileinto "after-m"; }' },
  { name: 'ascii-numeric :is', script: R(['comparator-i;ascii-numeric', 'fileinto']) + 'if header :is :comparator "i;ascii-numeric" "x-priority" "003" { fileinto "num"; }' },

  // ── subaddress
  { name: 'subaddress', script: R(['subaddress', 'fileinto', 'variables']) + 'if address :detail "from" "billing" { fileinto "billing"; } if address :user :matches "to" "*" { fileinto "u-${1}"; } if address :detail :matches "to" "*" { fileinto "d-${1}"; }' },

  // ── imap4flags
  {
    name: 'imap4flags',
    script: R(['imap4flags', 'fileinto']) + 'setflag "\\\\Seen"; addflag ["$Work", "urgent"]; fileinto "Flagged"; removeflag "urgent"; if hasflag :contains "work" { fileinto :flags "\\\\Flagged" "Marked"; } keep;',
  },
  { name: 'imap4flags implicit keep', script: R(['imap4flags']) + 'addflag "\\\\Answered"; addflag "\\\\Seen";' },
  { name: 'imap4flags variable', script: R(['imap4flags', 'variables', 'fileinto']) + 'set "f" ""; addflag "f" "one two"; removeflag "f" "one"; if hasflag "f" "two" { fileinto "two"; } if string :is "${f}" "two" { fileinto "str"; }' },

  // ── variables
  {
    name: 'variables and modifiers',
    script: R(['variables', 'fileinto']) + 'set "a" "Hello World"; set :lower "l" "${a}"; set :upper "u" "${a}"; set :upperfirst "uf" "hello"; set :lowerfirst "lf" "HELLO"; set :length "n" "${a}"; set :quotewildcard "q" "a*b?c\\\\"; fileinto "${l}|${u}|${uf}|${lf}|${n}|${q}";',
  },
  { name: 'variables unknown and malformed', script: R(['variables', 'fileinto']) + 'fileinto "x${nope}y${1}z${bad name}";' },
  { name: 'variables string test', script: R(['variables', 'fileinto']) + 'set "s" "abc"; if string :matches "${s}" "a*" { fileinto "str-${1}"; } if string :count "eq" :comparator "i;ascii-numeric" ["${s}", ""] "1" { fileinto "count1"; }', messages: ['en-plain'] },
  { name: 'variables match from header', script: R(['variables', 'fileinto']) + 'if header :matches "from" "*<*@*>" { fileinto "${2}-${3}"; }' },
  { name: 'variables in keys', script: R(['variables', 'fileinto']) + 'set "k" "report"; if header :contains "subject" "${k}" { fileinto "k"; } set :quotewildcard "w" "*"; if header :matches "subject" "${w}" { fileinto "literal-star"; }' },

  // ── date / currentdate
  { name: 'date original zone', script: R(['date', 'variables', 'fileinto']) + 'if date :matches :originalzone "date" "date" "*" { set "d" "${1}"; } if date :matches :originalzone "date" "time" "*" { set "t" "${1}"; } if date :matches :originalzone "date" "zone" "*" { set "z" "${1}"; } fileinto "${d} ${t} ${z}";' },
  { name: 'date :zone', script: R(['date', 'variables', 'fileinto']) + 'if date :matches :zone "+0900" "date" "iso8601" "*" { set "i" "${1}"; } if date :matches :zone "-0130" "date" "std11" "*" { set "s" "${1}"; } if date :matches :zone "+0000" "date" "weekday" "*" { set "w" "${1}"; } if date :matches :zone "+0000" "date" "julian" "*" { set "j" "${1}"; } fileinto "${i}|${s}|${w}|${j}";' },
  { name: 'date relational', script: R(['date', 'relational', 'fileinto']) + 'if date :value "ge" :zone "+0900" "date" "hour" "09" { fileinto "morning-or-later"; } if date :is :zone "+0000" "date" "month" "07" { fileinto "july"; }' },
  { name: 'currentdate (stable parts)', script: R(['date', 'relational', 'fileinto']) + 'if currentdate :value "ge" "year" "2024" { fileinto "now"; } if currentdate :zone "+0000" :matches "zone" "+0000" { fileinto "utc"; }', messages: ['en-plain'] },

  // ── vacation (the action and its parameters; the reply decision is in vacation-decision)
  { name: 'vacation defaults', script: R(['vacation']) + 'vacation "I am away until Monday.";' },
  { name: 'vacation parameters', script: R(['vacation']) + 'vacation :days 3 :subject "Out of office" :from "User <user@example.com>" :addresses ["alias@example.com"] :handle "h1" "休暇中です。";' },
  { name: 'vacation-seconds', script: R(['vacation-seconds']) + 'vacation :seconds 172800 "back soon";' },
  { name: 'vacation under the minimum', script: R(['vacation-seconds']) + 'vacation :seconds 60 "back soon";' },
  { name: 'vacation twice (runtime error)', script: R(['vacation']) + 'vacation "a"; vacation "b";', messages: ['en-plain'] },

  // ── include / return / global
  {
    name: 'include personal and global',
    script: R(['include', 'fileinto']) + 'include :personal "lists"; include :global "spam"; fileinto "after";',
    personal: { lists: R(['fileinto']) + 'if exists "list-id" { fileinto "Lists"; stop; }' },
    global: { spam: R(['fileinto']) + 'if header :contains "subject" "未承諾広告" { fileinto "Junk"; }' },
  },
  {
    name: 'include :once, :optional and return',
    script: R(['include', 'fileinto']) + 'include "a"; include :once "a"; include :optional "missing"; fileinto "main";',
    personal: { a: R(['include', 'fileinto']) + 'fileinto "from-a"; return; fileinto "never";' },
    messages: ['en-plain'],
  },
  {
    name: 'include global variables',
    script: R(['include', 'variables', 'fileinto']) + 'global "tag"; set "tag" "X"; include "b"; fileinto "main-${tag}";',
    personal: { b: R(['include', 'variables', 'fileinto']) + 'global "tag"; fileinto "b-${tag}"; set "tag" "Y";' },
    messages: ['en-plain'],
  },
  {
    name: 'include missing (runtime error, not compile error)',
    script: R(['include']) + 'include "nope";',
    messages: ['en-plain'],
    differs: 'Pigeonhole links included scripts when it compiles, so a missing one is a compile error; tegami loads them through SieveEnv.loadScript when the include runs, so it is a run-time error and implicit keep (ManageSieve can still warn at upload by asking the loader).',
    expect: { '*': ['runtime-error', 'implicit-keep'] },
  },

  // ── encoded-character
  { name: 'encoded-character', script: R(['encoded-character', 'fileinto']) + 'fileinto "${hex:41 42}-${unicode:8ACB 6C42}-${hex:zz}";', messages: ['en-plain'] },

  // ── reject
  { name: 'reject', script: R(['reject']) + 'if header :contains "subject" "未承諾広告" { reject "No spam, please."; }' },
  { name: 'reject conflicts with fileinto (runtime error)', script: R(['reject', 'fileinto']) + 'fileinto "A"; reject "no";', messages: ['en-plain'] },

  // ── editheader
  { name: 'editheader add then test', script: R(['editheader', 'fileinto']) + 'addheader "X-Sieve-Tag" "tagged"; if header :is "x-sieve-tag" "tagged" { fileinto "tagged"; }' },
  { name: 'editheader delete then test', script: R(['editheader', 'fileinto']) + 'deleteheader "x-priority"; deleteheader :contains "to" "other"; if not exists "x-priority" { fileinto "gone"; } if header :contains "to" "other" { fileinto "still-other"; }' },
  { name: 'editheader protected received', script: R(['editheader', 'relational', 'comparator-i;ascii-numeric', 'fileinto']) + 'deleteheader "received"; if header :count "ge" :comparator "i;ascii-numeric" "received" "1" { fileinto "kept-received"; }', messages: ['en-plain'] },
  { name: 'editheader :index', script: R(['editheader', 'fileinto']) + 'addheader :last "X-A" "1"; addheader :last "X-A" "2"; deleteheader :index 1 "x-a"; if header :is "x-a" "2" { fileinto "second-left"; }', messages: ['en-plain'] },

  // ── spamtest
  { name: 'spamtest', script: R(['spamtest', 'relational', 'comparator-i;ascii-numeric', 'fileinto']) + 'if spamtest :value "ge" :comparator "i;ascii-numeric" "5" { fileinto "Junk"; } elsif spamtest :value "eq" :comparator "i;ascii-numeric" "0" { fileinto "untested"; }', messages: ['en-plain', 'ja-utf8', 'list', 'spam'] },
  { name: 'spamtestplus :percent', script: R(['spamtestplus', 'relational', 'comparator-i;ascii-numeric', 'fileinto']) + 'if spamtest :percent :value "ge" :comparator "i;ascii-numeric" "70" { fileinto "Junk"; } if spamtest :percent :is "76" { fileinto "exact76"; }', messages: ['en-plain', 'spam'] },
  {
    name: 'raw Shift_JIS header text is decoded',
    script: R(['fileinto']) + 'if header :contains "subject" "請求書" { fileinto "請求"; }',
    messages: ['raw-sjis-header'],
    differs: 'a Subject in raw 8-bit Shift_JIS (no RFC 2047 words, as some Japanese mailers still send) is decoded by our charset detection; Pigeonhole reads header bytes as UTF-8 only, so it never matches.',
    expect: { 'raw-sjis-header': ['store 請求', 'no-implicit-keep'] },
  },
  {
    name: 'an empty group holds no address',
    script: R(['fileinto', 'relational', 'comparator-i;ascii-numeric']) + 'if address :count "eq" :comparator "i;ascii-numeric" ["to", "cc"] "2" { fileinto "two"; } if address :is "cc" "bob@example.org" { fileinto "bob"; }',
    messages: ['raw-sjis-header'],
    differs: '"To: undisclosed-recipients:;" is a group with no members (RFC 5322 §3.4), so it adds no address; Pigeonhole takes the whole unparsable field as one address and counts 3.',
    expect: { 'raw-sjis-header': ['store two', 'store bob', 'no-implicit-keep'] },
  },
  {
    name: 'spamtest on a message judged ham',
    script: R(['spamtestplus', 'relational', 'comparator-i;ascii-numeric', 'fileinto']) + 'if spamtest :value "eq" :comparator "i;ascii-numeric" "1" { fileinto "tested-ham"; } if spamtest :percent :value "eq" :comparator "i;ascii-numeric" "4" { fileinto "p4"; }',
    messages: ['ham'],
    differs: 'tegami also reads X-Tegami-Spam-Status, the header our filter writes on ham, so a tested clean message is 1 ("not spam") rather than 0 ("not tested"); Pigeonhole can be pointed at one header only and sees X-IMAIL-SPAM (spam) alone.',
    expect: { ham: ['store tested-ham', 'store p4', 'no-implicit-keep'] },
  },

  // ── regex (enabled by a flag in tegami; always in Pigeonhole)
  { name: 'regex', script: R(['regex', 'variables', 'fileinto']) + 'if header :regex "subject" "^\\\\[([a-z-]+)\\\\]" { fileinto "list-${1}"; } if header :regex "from" "[[:alpha:]]+@example\\\\.(org|net)" { fileinto "re-${1}"; } if header :regex "subject" "(予算|請求書)" { fileinto "ja-${1}"; }' },

  // ── edge cases
  { name: 'empty key and missing header', script: R(['fileinto']) + 'if header :contains "subject" "" { fileinto "has-subject"; } if header :is "x-missing" "" { fileinto "wrong"; } if not header :contains "x-missing" "" { fileinto "no-missing"; }' },
  { name: ':matches star capture ${0}', script: R(['variables', 'fileinto']) + 'if header :matches "subject" "*" { fileinto "all:${0}"; }' },
  { name: ':matches ? on Japanese characters', script: R(['fileinto']) + 'if header :matches "subject" "請求書の送付につい?" { fileinto "q1"; } if header :matches "subject" "?????????" { fileinto "nine"; } if header :matches "subject" "??????????" { fileinto "ten"; }' },
  { name: 'quoted display name with comma', script: R(['fileinto']) + 'if address :is "cc" "bob@example.org" { fileinto "bob"; } if address :count "eq" "cc" "1" { fileinto "one-cc"; }', messages: ['en-plain'] },
  { name: 'empty blocks and nested ifs', script: R(['fileinto']) + 'if true { } if exists "from" { if exists "to" { if not exists "x-nothing" { fileinto "deep"; } } }' },
  { name: 'duplicate stores: the later flags win', script: R(['fileinto', 'imap4flags']) + 'fileinto :flags "a" "X"; fileinto :flags "b" "X"; keep :flags "c"; fileinto :flags "d" "INBOX";', messages: ['en-plain'] },
  { name: 'reject with discard, repeated discards', script: R(['reject', 'fileinto']) + 'if header :contains "subject" "report" { reject "x"; discard; } else { discard; discard; fileinto "A"; discard; }', messages: ['en-plain', 'list'] },
  { name: 'six redirects to one address', script: 'redirect "a@example.net"; redirect "a@example.net"; redirect "a@example.net"; redirect "a@example.net"; redirect "a@example.net"; redirect "a@example.net";', messages: ['en-plain'] },
  { name: 'keep :flags', script: R(['imap4flags']) + 'keep :flags ["\\\\Seen", "\\\\Flagged"];' },
  { name: 'fileinto lower-case inbox', script: R(['fileinto']) + 'fileinto "inbox";' },
  { name: 'set with encoded characters and length', script: R(['variables', 'encoded-character', 'fileinto']) + 'set "a" "${unicode:3042 3044}"; set :length "n" "${a}"; fileinto "${a}${n}";', messages: ['en-plain'] },
  { name: 'body :raw does not decode base64', script: R(['body', 'fileinto']) + 'if body :raw :contains "お世話" { fileinto "raw-decoded"; } if body :text :contains "お世話" { fileinto "text-decoded"; }' },
  { name: 'date header missing or relational on Received', script: R(['date', 'fileinto']) + 'if date :is "x-no-date" "year" "2025" { fileinto "wrong"; } if date :is :zone "+0000" "received" "date" "2025-07-01" { fileinto "received-date"; }' },
  { name: 'folded header values unfold', script: R(['fileinto']) + 'if header :contains "list-id" "users <acme" { fileinto "unfolded"; }', messages: ['list'] },
  { name: 'anyof/allof short circuit with match variables', script: R(['variables', 'fileinto']) + 'if anyof (header :matches "subject" "*report*", header :matches "from" "*@*") { fileinto "a-${1}"; }' },
  { name: 'header names list and multiple keys', script: R(['fileinto']) + 'if header :contains ["to", "cc"] ["bob", "user"] { fileinto "tocc"; } if address :domain ["from", "sender"] ["lists.example.org"] { fileinto "lists"; }' },

  { name: 'regex: whole match is leftmost-longest', script: R(['regex', 'variables', 'fileinto']) + 'if header :regex "subject" "(r|re|rep)[a-z]*" { fileinto "a-${0}"; } if header :regex "subject" "(Q|Qu|Quarterly )+" { fileinto "b-${0}"; } if header :regex "subject" "e*" { fileinto "c-${0}|"; }', messages: ['en-plain', 'list'] },

  // ── compile errors (both refuse)
  { name: 'error: unknown require', script: 'require "frobnicate";\nkeep;', messages: ['en-plain'] },
  { name: 'error: fileinto without require', script: 'fileinto "A";', messages: ['en-plain'] },
  { name: 'error: missing semicolon', script: 'keep\ndiscard;', messages: ['en-plain'] },
  { name: 'error: bad tag', script: 'if header :frob "subject" "x" { keep; }', messages: ['en-plain'] },

  // ── documented differences
  {
    name: 'ereject (Pigeonhole 0.5 lacks it)',
    script: R(['ereject']) + 'ereject "Go away.";',
    messages: ['en-plain'],
    differs: 'Pigeonhole 0.5.19 (Debian 12) does not implement ereject (RFC 5429); it refuses the require.',
    expect: { '*': ['reject Go away.', 'no-implicit-keep'] },
  },
  {
    name: 'i;unicode-casemap (Pigeonhole lacks it)',
    script: R(['comparator-i;unicode-casemap', 'fileinto']) + 'if header :contains :comparator "i;unicode-casemap" "subject" "ＲＥＰＯＲＴ" { fileinto "fullwidth"; } if header :is :comparator "i;unicode-casemap" "subject" "QUARTERLY REPORT: BUDGET REVIEW" { fileinto "casefold"; }',
    messages: ['en-plain'],
    differs: 'Pigeonhole has no i;unicode-casemap (RFC 5051) comparator; ours folds case and compatibility forms (full-width ＲＥＰＯＲＴ = report).',
    expect: { 'en-plain': ['store fullwidth', 'store casefold', 'no-implicit-keep'] },
  },
];

/**
 * Upload checks: each script must be accepted or refused by both engines alike (PUTSCRIPT/CHECKSCRIPT agree with
 * Dovecot's). Left out on purpose: `fileinto ""` (refused at upload here, a run-time failure there) and ereject.
 */
export const UPLOAD_CASES: string[] = [
  'if address "subject" "x" { keep; }',
  'if address :all "x-custom" "x" { keep; }',
  'require "envelope"; if envelope "auth" "x" { keep; }',
  'require "envelope"; if envelope "orig_to" "x" { keep; }',
  'if header :contains "sub ject" "x" { keep; }',
  'if header :is ["subject"] [] { keep; }',
  'if exists [] { keep; }',
  'redirect "a@b";',
  'redirect "<a@b.c>";',
  'redirect "Name <a@b.c>";',
  'require "variables"; set "a.b" "x";',
  'require "variables"; set "_x" "x";',
  'require "variables"; if string :is "${a" "x" { keep; }',
  'require ["variables","include"]; global "x.y";',
  'require "date"; if date :zone "+2500" "date" "hour" "1" { keep; }',
  'require "date"; if currentdate :originalzone "hour" "1" { keep; }',
  'require "relational"; if header :value "xx" "a" "b" { keep; }',
  'require "relational"; if header :count "eq" :comparator "i;ascii-numeric" "a" "b" { keep; }',
  'require "comparator-i;ascii-numeric"; if header :contains :comparator "i;ascii-numeric" "a" "1" { keep; }',
  'require "comparator-i;ascii-numeric"; if header :matches :comparator "i;ascii-numeric" "a" "1" { keep; }',
  'if header :comparator "i;octet" :matches "a" "1" { keep; }',
  'require ["vacation"]; vacation :days 0 "x";',
  'require ["vacation"]; vacation :seconds 10 "x";',
  'require ["vacation","vacation-seconds"]; vacation :days 1 :seconds 10 "x";',
  'require "vacation"; vacation :from "not an address" "x";',
  'require "vacation"; vacation :addresses "x" "y";',
  'require "imap4flags"; addflag "a" "b";',
  'require "editheader"; addheader "Received" "x";',
  'require "editheader"; deleteheader :index 0 "x";',
  'require "editheader"; deleteheader :index 1 :last "x";',
  'require "editheader"; deleteheader :matches "x";',
  'require "include"; include "../etc/passwd";',
  'require "include"; include :global :personal "x";',
  'require "include"; return;',
  'require "body"; if body :content "text" :raw "x" { keep; }',
  'require "body"; if body :content "text" "x" { keep; }',
  'require "spamtest"; if spamtest "x" { keep; }',
  'require "spamtest"; if spamtest :percent "1" { keep; }',
  'require "mailbox"; if mailboxexists "" { keep; }',
  'require ["regex"]; if header :regex "a" "[" { keep; }',
  'require ["regex"]; if header :regex "a" "a{2,1}" { keep; }',
  'require ["regex"]; if header :regex :comparator "i;octet" "a" "a" { keep; }',
  'require "subaddress"; if envelope :detail "to" "x" { keep; }',
  'require ["envelope","subaddress"]; if envelope :detail "to" "x" { keep; }',
  'keep; keep;',
  'if true { stop; } else { keep; }',
  'if not (true) { keep; }',
  'if allof (true) { keep; }',
  'if anyof () { keep; }',
  'if size :over "1" { keep; }',
  'stop "x";',
  'discard :copy;',
  'if header :contains "a" "b" { }',
  '#only comment',
  '',
  'require [];',
  'require "fileinto"; require "fileinto";',
  'require "FILEINTO"; fileinto "x";',
  'require "comparator-i;octet";',
  'require "vacation-seconds"; vacation :seconds 100 "x";',
  'require "spamtestplus"; if spamtest :percent "1" { keep; }',
  'IF TRUE { KEEP; }',
  'if header :IS "a" "b" { keep; }',
  'require "variables"; set :upper :lowerfirst "a" "b";',
  'require "variables"; set :length :quotewildcard "a" "b";',
  'require "encoded-character"; keep;',
  'text:\n.\n;',
  'keep; # comment without newline',
  'if header :contains "subject" text: # c\nabc\n.\n{ keep; }',
];
