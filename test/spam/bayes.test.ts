// classify() reads a message's tokens only when enough mail was learnt to judge it: an untrained filter (every
// new install) answers "no verdict" without tokenising, a trained one gives the same verdict from a function as
// from the tokens themselves.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { BayesStore, SERVER, classify } from '../../engine/spam/bayes.js';
import { tempDir, removeTempDirs } from './helpers.js';

after(removeTempDirs);

test('tokens are asked for only once Bayes has learnt enough; the verdict is the same either way', () => {
  const store = new BayesStore(tempDir());
  try {
    const tokens = ['viagra', 'cheap', 'meeting'];
    let asked = 0;
    const lazy = () => (asked++, tokens);
    assert.deepEqual(classify(store, [SERVER], lazy, 2), { probability: null, clues: [], known: 0, logOdds: 0 });
    store.learn(SERVER, ['viagra', 'cheap'], 'spam', '<1@x>');
    store.learn(SERVER, ['meeting', 'agenda'], 'ham', '<2@x>');
    assert.equal(classify(store, [SERVER], lazy, 2).probability, null, 'one of each is below the minimum of 2');
    assert.equal(asked, 0);
    store.learn(SERVER, ['viagra', 'rolex'], 'spam', '<3@x>');
    store.learn(SERVER, ['meeting', 'lunch'], 'ham', '<4@x>');
    const fromFunction = classify(store, [SERVER], lazy, 2);
    assert.equal(asked, 1);
    assert.deepEqual(fromFunction, classify(store, [SERVER], tokens, 2));
    assert.notEqual(fromFunction.probability, null);
  } finally {
    store.close();
  }
});
