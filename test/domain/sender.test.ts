import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onBehalfName } from '../../src/domain/sender.ts';

describe("a name shown in a From written on someone's behalf", () => {
  it('keeps an ordinary name, in any script, with its commas', () => {
    assert.equal(onBehalfName('Andersen, Alice'), 'Andersen, Alice');
    assert.equal(onBehalfName('王美'), '王美');
  });

  it('drops addresses, angle brackets and quotes, so no other sender can be shown', () => {
    assert.equal(onBehalfName('Andersen, Alice <boss@bank.example>'), 'Andersen, Alice');
    assert.equal(onBehalfName('"ceo@bank.example" Bob'), 'Bob');
    assert.equal(onBehalfName('Support <support@bank.example'), 'Support');
    assert.equal(onBehalfName('a@b via evil <x>'), 'via evil x');
  });

  it('is empty when nothing but an address was there', () => {
    assert.equal(onBehalfName('boss@bank.example'), '');
    assert.equal(onBehalfName(' <"boss@bank.example"> '), '');
  });
});
