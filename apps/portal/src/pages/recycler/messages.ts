/** The recycler pages' words (keys start with 'recycler.'); zh and en must have the same keys (i18n/index.tsx checks). */
export const recycler = {
  zh: {
    'recycler.title': 'TITLE',
    'recycler.nav.revocations': 'revocations',
    'recycler.nav.slip': 'slip',
  },
  en: {
    'recycler.title': 'TITLE',
    'recycler.nav.revocations': 'revocations',
    'recycler.nav.slip': 'slip',
  },
} as const;
