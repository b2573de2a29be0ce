import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { dictionary } from '@zxcvbn-ts/language-common';
import {
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH_DEFAULT,
  assessPassword,
  checkPasswordRules,
  commonPasswordListSize,
  containsUserInfo,
  isCommonPassword,
  normalizePassword,
  passwordLength,
  userInfoTokens,
  type PasswordUserContext,
} from './password-policy.js';

const alice: PasswordUserContext = { name: 'Alice Martin', email: 'alice.martin@example.com' };

/** A non-dictionary password of exactly n code points (letters only). */
function pw(n: number, last = 'q'): string {
  const base = 'vkzxqjwmfbpglhyrtdnc';
  let s = '';
  for (let i = 0; i < n - 1; i++) s += base[i % base.length];
  return s + last;
}

describe('constants', () => {
  it('defaults are 8 min / 128 max', () => {
    expect(PASSWORD_MIN_LENGTH_DEFAULT).toBe(8);
    expect(PASSWORD_MAX_LENGTH).toBe(128);
  });
});

describe('ASVS 6.2.1 minimum length', () => {
  it('rejects 7 code points with a message naming the minimum', () => {
    const r = checkPasswordRules('kq7-Lmx');
    expect(r).toEqual({
      ok: false,
      code: 'PASSWORD_TOO_SHORT',
      message: expect.stringContaining('Use at least 8 characters.'),
    });
    const a = assessPassword('kq7-Lmx');
    expect(a.ok).toBe(false);
    expect(a.code).toBe('PASSWORD_TOO_SHORT');
    expect(a.message).toContain('Use at least 8 characters.');
    expect(a.length).toBe(7);
    expect(a.score).toBe(0);
  });

  it('accepts exactly 8 code points', () => {
    expect(checkPasswordRules('kq7-Lmx!')).toEqual({ ok: true });
    expect(assessPassword('kq7-Lmx!').ok).toBe(true);
  });

  it('rejects the empty string', () => {
    expect(checkPasswordRules('')).toMatchObject({ ok: false, code: 'PASSWORD_TOO_SHORT' });
  });

  it('minimum length is configurable (min 12)', () => {
    const r = checkPasswordRules(pw(11), undefined, { minLength: 12 });
    expect(r).toMatchObject({ ok: false, code: 'PASSWORD_TOO_SHORT' });
    expect(!r.ok && r.message).toContain('Use at least 12 characters.');
    expect(checkPasswordRules(pw(12), undefined, { minLength: 12 })).toEqual({ ok: true });
    expect(assessPassword(pw(11), undefined, { minLength: 12 }).message).toContain('Use at least 12 characters.');
  });

  it('refuses an invalid minLength configuration (below 8, above 64, non-integer)', () => {
    for (const minLength of [0, 4, 7, 65, 8.5, Number.NaN]) {
      expect(() => checkPasswordRules(pw(20), undefined, { minLength })).toThrow(RangeError);
    }
  });
});

describe('ASVS 6.2.4 common passwords', () => {
  it('the common password list has at least 10,000 entries', () => {
    expect(dictionary['passwords-common'].length).toBeGreaterThanOrEqual(10_000);
    expect(commonPasswordListSize()).toBeGreaterThanOrEqual(10_000);
  });

  it.each(['password123', 'Password123', 'PASSWORD123', 'qwertyuiop', 'iloveyou', '12345678', 'baseball'])(
    'rejects common password %s (case-insensitive)',
    (p) => {
      expect(checkPasswordRules(p)).toEqual({
        ok: false,
        code: 'PASSWORD_TOO_COMMON',
        message:
          'This password is on a list of commonly used passwords. Choose something less predictable.',
      });
      expect(assessPassword(p)).toMatchObject({ ok: false, code: 'PASSWORD_TOO_COMMON', score: 0 });
      expect(isCommonPassword(p)).toBe(true);
    },
  );

  it('does not flag an uncommon password', () => {
    expect(isCommonPassword('correct horse battery staple')).toBe(false);
  });

  it('checks length before the common list (too short wins over common)', () => {
    expect(checkPasswordRules('qwerty')).toMatchObject({ ok: false, code: 'PASSWORD_TOO_SHORT' });
  });
});

describe('ASVS 6.2.5 no composition rules', () => {
  it('all lowercase long passphrase passes', () => {
    expect(checkPasswordRules('correct horse battery staple')).toEqual({ ok: true });
    const a = assessPassword('correct horse battery staple');
    expect(a.ok).toBe(true);
    expect(a.code).toBeUndefined();
    expect(a.message).toBeUndefined();
  });

  it('no digit, no uppercase, no symbol is fine', () => {
    expect(checkPasswordRules('plumtreesinwinter')).toEqual({ ok: true });
  });

  it('digits only (not common) is fine', () => {
    expect(checkPasswordRules('80351974620')).toEqual({ ok: true });
  });

  it('spaces are allowed anywhere, including at the ends', () => {
    expect(checkPasswordRules('  lamp  ink  ')).toEqual({ ok: true });
  });
});

describe('ASVS 6.2.8 no truncation', () => {
  it('two 100-char passwords differing only in the last char normalise differently', () => {
    const a = pw(100, 'a');
    const b = pw(100, 'b');
    expect(a.slice(0, 99)).toBe(b.slice(0, 99));
    expect(normalizePassword(a)).not.toBe(normalizePassword(b));
    expect(normalizePassword(a)).toHaveLength(100);
    expect(assessPassword(a)).toMatchObject({ ok: true, length: 100 });
    expect(assessPassword(b)).toMatchObject({ ok: true, length: 100 });
  });
});

describe('ASVS 6.2.9 long passwords allowed', () => {
  it('64 code points allowed', () => {
    expect(checkPasswordRules(pw(64))).toEqual({ ok: true });
  });

  it('128 code points allowed', () => {
    expect(checkPasswordRules(pw(128))).toEqual({ ok: true });
    expect(assessPassword(pw(128))).toMatchObject({ ok: true, length: 128 });
  });

  it('129 code points rejected', () => {
    expect(checkPasswordRules(pw(129))).toEqual({
      ok: false,
      code: 'PASSWORD_TOO_LONG',
      message: expect.stringContaining('128'),
    });
    expect(assessPassword(pw(129))).toMatchObject({ ok: false, code: 'PASSWORD_TOO_LONG', length: 129, score: 0 });
  });

  it('the maximum counts code points, not UTF-16 units: 128 emoji pass, 129 do not', () => {
    expect(checkPasswordRules('🔥'.repeat(128))).toEqual({ ok: true });
    expect(checkPasswordRules('🔥'.repeat(129))).toMatchObject({ ok: false, code: 'PASSWORD_TOO_LONG' });
  });

  it('a very long input is rejected quickly without throwing', () => {
    const a = assessPassword('x'.repeat(1_000_000));
    expect(a).toMatchObject({ ok: false, code: 'PASSWORD_TOO_LONG', length: 1_000_000, feedback: [] });
  });
});

describe('Unicode NFKC normalisation', () => {
  it('fullwidth "ｐａｓｓｗｏｒｄ１２３" normalises to "password123" and is rejected as common', () => {
    expect(normalizePassword('ｐａｓｓｗｏｒｄ１２３')).toBe('password123');
    expect(checkPasswordRules('ｐａｓｓｗｏｒｄ１２３')).toMatchObject({ ok: false, code: 'PASSWORD_TOO_COMMON' });
  });

  it('"ﬁ" ligature normalises to "fi"', () => {
    expect(normalizePassword('ﬁ')).toBe('fi');
    expect(passwordLength('ﬁ')).toBe(2);
  });

  it('composed and decomposed accents give the same password', () => {
    const composed = 'caf\u00e9 au lait';
    const decomposed = 'cafe\u0301 au lait';
    expect(composed).not.toBe(decomposed);
    expect(normalizePassword(composed)).toBe(normalizePassword(decomposed));
    expect(passwordLength(decomposed)).toBe(12);
  });

  it('length is measured after normalisation (8 fullwidth chars count 8)', () => {
    expect(passwordLength('ｖｋｚｘｑｊｗｍ')).toBe(8);
  });
});

describe('any Unicode allowed; length in code points', () => {
  it('"🔥" counts 1', () => {
    expect(passwordLength('🔥')).toBe(1);
    expect('🔥'.length).toBe(2);
  });

  it('emoji password accepted', () => {
    const p = '🔥🐙🌵🎻🚀🧊🍋🦉';
    expect(passwordLength(p)).toBe(8);
    expect(checkPasswordRules(p)).toEqual({ ok: true });
    expect(assessPassword(p)).toMatchObject({ ok: true, length: 8 });
  });

  it('7 emoji are too short even though they are 14 UTF-16 units', () => {
    expect(checkPasswordRules('🔥🐙🌵🎻🚀🧊🍋')).toMatchObject({ ok: false, code: 'PASSWORD_TOO_SHORT' });
  });

  it('ZWJ sequences count each code point', () => {
    expect(passwordLength('👨‍👩‍👧')).toBe(5);
  });

  it('CJK password accepted', () => {
    const p = '日本語のパスワードです';
    expect(passwordLength(p)).toBe(11);
    expect(assessPassword(p)).toMatchObject({ ok: true, length: 11 });
  });

  it('Cyrillic and Hangul passwords accepted', () => {
    expect(checkPasswordRules('пароль для входа')).toEqual({ ok: true });
    expect(checkPasswordRules('비밀번호는 비밀입니다')).toEqual({ ok: true });
  });
});

describe('ASVS 6.2.11 passwords built from the user name / email', () => {
  it.each(['alicemartin', 'Alice Martin 2024', 'alice.martin@example.com', 'martin123!', 'alice.martin1'])(
    'rejects %s for Alice Martin <alice.martin@example.com>',
    (p) => {
      expect(checkPasswordRules(p, alice)).toEqual({
        ok: false,
        code: 'PASSWORD_CONTAINS_USER_INFO',
        message: expect.stringMatching(/name or email/),
      });
      expect(assessPassword(p, alice)).toMatchObject({ ok: false, code: 'PASSWORD_CONTAINS_USER_INFO', score: 0 });
    },
  );

  it.each([
    'ALICEMARTIN',
    'martinalice',
    'Alice_Martin_!!',
    'example2024!',
    'alice-example',
    'alicemartinxyz',
    '  alice martin  ',
    'aLiCe.MaRtIn@ExAmPlE.cOm',
  ])('also rejects %s', (p) => {
    expect(checkPasswordRules(p, alice)).toMatchObject({ ok: false, code: 'PASSWORD_CONTAINS_USER_INFO' });
  });

  it.each(['correct horse battery staple', 'Tr0ub4dor&3-but-longer', 'blue-ocean-alice-sings-loudly', 'alicemartinblue'])(
    'accepts %s for Alice Martin',
    (p) => {
      expect(checkPasswordRules(p, alice)).toEqual({ ok: true });
      expect(assessPassword(p, alice).ok).toBe(true);
    },
  );

  it('the same password is fine for someone else', () => {
    expect(checkPasswordRules('alicemartin', { name: 'Bob Stone', email: 'bob@stone.io' })).toEqual({ ok: true });
    expect(checkPasswordRules('alicemartin')).toEqual({ ok: true });
    expect(checkPasswordRules('alicemartin', { name: null, email: null })).toEqual({ ok: true });
    expect(checkPasswordRules('alicemartin', {})).toEqual({ ok: true });
  });

  it('uses the email alone when there is no name', () => {
    expect(checkPasswordRules('jsmith1999', { email: 'j.smith+news@mail.co.uk' })).toMatchObject({
      ok: false,
      code: 'PASSWORD_CONTAINS_USER_INFO',
    });
    expect(checkPasswordRules('smithnews', { email: 'j.smith+news@mail.co.uk' })).toMatchObject({
      ok: false,
      code: 'PASSWORD_CONTAINS_USER_INFO',
    });
  });

  it('compares without accents and after NFKC', () => {
    const zoe = { name: 'Zoë Durand' };
    expect(checkPasswordRules('zoedurand!', zoe)).toMatchObject({ ok: false, code: 'PASSWORD_CONTAINS_USER_INFO' });
    expect(checkPasswordRules('ＺＯＥ ＤＵＲＡＮＤ 1', zoe)).toMatchObject({
      ok: false,
      code: 'PASSWORD_CONTAINS_USER_INFO',
    });
  });

  it('ignores name parts shorter than 3 characters', () => {
    expect(userInfoTokens({ name: 'Jo Li' })).toEqual(['jo li', 'joli']);
    expect(checkPasswordRules('jo-jo-li-li-99', { name: 'Jo Li' })).toEqual({ ok: true });
  });

  it('derives the expected tokens', () => {
    expect(userInfoTokens(alice)).toEqual(
      expect.arrayContaining([
        'alice.martin@example.com',
        'alice.martin',
        'alicemartin',
        'alice martin',
        'alice',
        'martin',
        'example.com',
        'example',
      ]),
    );
    expect(userInfoTokens(alice)).not.toContain('com');
  });

  it('containsUserInfo: fewer than 4 other characters is rejected, 4 is accepted', () => {
    expect(containsUserInfo('alicemartinabc', alice)).toBe(true);
    expect(containsUserInfo('alicemartinabcd', alice)).toBe(false);
    expect(containsUserInfo('alice🐙🌵🎻', alice)).toBe(true);
    expect(containsUserInfo('alice🐙🌵🎻🚀', alice)).toBe(false);
  });

  it('common check comes before the user-info check', () => {
    expect(checkPasswordRules('password', { name: 'Password' })).toMatchObject({ code: 'PASSWORD_TOO_COMMON' });
  });
});

describe('strength meter (zxcvbn)', () => {
  it('gives a high score to a long passphrase and a low one to weak passwords', () => {
    expect(assessPassword('correct horse battery staple').score).toBeGreaterThanOrEqual(3);
    const weak = assessPassword('aaaaaaaaaaaa');
    expect(weak.ok).toBe(true); // the score never rejects
    expect(weak.score).toBeLessThanOrEqual(1);
    expect(weak.feedback.length).toBeGreaterThan(0);
    expect(weak.feedback.every((f) => typeof f === 'string' && f.length > 0)).toBe(true);
  });

  it('uses the user inputs: the name lowers the score of a password that still passes the rules', () => {
    const p = 'alicemartinblue';
    const withUser = assessPassword(p, alice);
    const withoutUser = assessPassword(p);
    expect(withUser.ok).toBe(true);
    expect(withUser.score).toBeLessThan(withoutUser.score);
  });

  it('forces the score to 0 when a rule fails, but still gives feedback', () => {
    const a = assessPassword('P@ssw0rd', undefined);
    expect(a.ok).toBe(false);
    expect(a.score).toBe(0);
    expect(a.feedback.length).toBeGreaterThan(0);
  });
});

describe('properties (fast-check)', () => {
  // Arbitrary code points (astral included) mixed with arbitrary UTF-16 code
  // units, so lone surrogates are generated too.
  const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
  const unit = fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), codeUnit, fc.constantFrom('a', 'e', ' ', '1', '\u0301'));
  const anyString = fc.oneof(
    fc.string({ unit, maxLength: 40 }),
    fc.string({ unit, minLength: 120, maxLength: 140 }),
    fc.constantFrom('password123', 'alicemartin', 'ｐａｓｓｗｏｒｄ１２３', 'martin123!', '\ud800\ud800\udfff\udfff'),
  );
  const user = fc.record(
    {
      name: fc.option(fc.oneof(fc.constant('Alice Martin'), fc.string({ unit, maxLength: 20 }))),
      email: fc.option(fc.oneof(fc.constant('alice.martin@example.com'), fc.string({ unit, maxLength: 30 }))),
    },
    { requiredKeys: [] },
  );

  it('assessPassword(p).ok === checkPasswordRules(p).ok and never throws, on arbitrary unicode incl. lone surrogates', () => {
    fc.assert(
      fc.property(anyString, user, (p, u) => {
        const rules = checkPasswordRules(p, u);
        const a = assessPassword(p, u);
        expect(a.ok).toBe(rules.ok);
        expect(a.code).toBe(rules.ok ? undefined : rules.code);
        expect(a.length).toBe(passwordLength(p));
        expect([0, 1, 2, 3, 4]).toContain(a.score);
        if (!a.ok) expect(a.score).toBe(0);
        expect(Array.isArray(a.feedback)).toBe(true);
      }),
      { numRuns: 200 },
    );
    // zxcvbn on 200 adversarial strings takes ~5 s alone and 3-4x that on a loaded 2-core machine.
  }, 120_000);

  it('normalisation is idempotent', () => {
    fc.assert(
      fc.property(anyString, (p) => normalizePassword(normalizePassword(p)) === normalizePassword(p)),
      { numRuns: 200 },
    );
  });
});
