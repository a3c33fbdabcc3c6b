/** The auditor pages' words (keys start with 'auditor.'); zh and en must have the same keys (i18n/index.tsx checks). */
export const auditor = {
  zh: {
    'auditor.title': 'TITLE',
    'auditor.nav.queue': 'queue',
    'auditor.nav.dashboard': 'dashboard',
    'auditor.nav.auditLog': 'auditLog',
  },
  en: {
    'auditor.title': 'TITLE',
    'auditor.nav.queue': 'queue',
    'auditor.nav.dashboard': 'dashboard',
    'auditor.nav.auditLog': 'auditLog',
  },
} as const;
