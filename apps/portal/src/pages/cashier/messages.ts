/** The cashier pages' words (keys start with 'cashier.'); zh and en must have the same keys (i18n/index.tsx checks). */
export const cashier = {
  zh: {
    'cashier.title': 'TITLE',
    'cashier.nav.sale': 'sale',
    'cashier.nav.claims': 'claims',
    'cashier.nav.payouts': 'payouts',
  },
  en: {
    'cashier.title': 'TITLE',
    'cashier.nav.sale': 'sale',
    'cashier.nav.claims': 'claims',
    'cashier.nav.payouts': 'payouts',
  },
} as const;
