// Every JMAP method this server answers, by name, with the capability it belongs to (a method of a capability
// the request does not use is unknownMethod). The only list: docs/jmap.md is written from it.
import { MAIL } from '../capabilities.js';
import type { MethodDef } from '../request.js';
import { copyBetweenAccounts, echo, pushGet, pushSet } from './core.js';
import { CORE } from '../capabilities.js';
import { emailChanges, emailGet, emailParse } from './email-get.js';
import { emailQuery, emailQueryChanges, searchSnippetGet } from './email-query.js';
import { emailImport, emailSet } from './email-set.js';
import { identityChanges, identityGet, identitySet } from './identity.js';
import { mailboxChanges, mailboxGet, mailboxQuery, mailboxQueryChanges, mailboxSet } from './mailbox.js';
import { submissionChanges, submissionGet, submissionQuery, submissionQueryChanges, submissionSet } from './submission.js';
import { threadChanges, threadGet } from './thread.js';
import { vacationGet, vacationSet } from './vacation.js';

export const METHODS: Record<string, MethodDef> = {
  'Core/echo': echo,
  'Blob/copy': copyBetweenAccounts(CORE),
  'PushSubscription/get': pushGet,
  'PushSubscription/set': pushSet,
  'Mailbox/get': mailboxGet,
  'Mailbox/changes': mailboxChanges,
  'Mailbox/query': mailboxQuery,
  'Mailbox/queryChanges': mailboxQueryChanges,
  'Mailbox/set': mailboxSet,
  'Thread/get': threadGet,
  'Thread/changes': threadChanges,
  'Email/get': emailGet,
  'Email/changes': emailChanges,
  'Email/query': emailQuery,
  'Email/queryChanges': emailQueryChanges,
  'Email/set': emailSet,
  'Email/copy': copyBetweenAccounts(MAIL),
  'Email/import': emailImport,
  'Email/parse': emailParse,
  'SearchSnippet/get': searchSnippetGet,
  'Identity/get': identityGet,
  'Identity/changes': identityChanges,
  'Identity/set': identitySet,
  'EmailSubmission/get': submissionGet,
  'EmailSubmission/changes': submissionChanges,
  'EmailSubmission/query': submissionQuery,
  'EmailSubmission/queryChanges': submissionQueryChanges,
  'EmailSubmission/set': submissionSet,
  'VacationResponse/get': vacationGet,
  'VacationResponse/set': vacationSet,
};
