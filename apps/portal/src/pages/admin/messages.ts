/** The admin pages' words (keys start with 'admin.'); zh and en must have the same keys (i18n/index.tsx checks). */
export const admin = {
  zh: {
    'admin.title': 'TITLE',
    'admin.nav.programs': 'programs',
    'admin.nav.organisations': 'organisations',
    'admin.nav.catalog': 'catalog',
    'admin.nav.users': 'users',
    'admin.nav.payouts': 'payouts',
  },
  en: {
    'admin.title': 'TITLE',
    'admin.nav.programs': 'programs',
    'admin.nav.organisations': 'organisations',
    'admin.nav.catalog': 'catalog',
    'admin.nav.users': 'users',
    'admin.nav.payouts': 'payouts',
  },
} as const;
