import { openField, sealField } from '@huanxin/core';
import type { BankAccount, StoredBankAccount } from './retailer.types';

const context = (retailerId: string) => `retailers.bank:${retailerId}`;

/** A bank account as it may be stored: the number sealed to this retailer, its last four in clear. */
export function sealBankAccount(key: string, retailerId: string, bank: BankAccount): StoredBankAccount {
  return {
    accountName: bank.accountName,
    accountNumberLast4: bank.accountNumber.slice(-4),
    accountNumberSealed: sealField(key, bank.accountNumber, context(retailerId)),
    bankCode: bank.bankCode,
  };
}

/** The full account, for the payment file only. */
export function openBankAccount(key: string, retailerId: string, stored: StoredBankAccount): BankAccount {
  return { accountName: stored.accountName, accountNumber: openField(key, stored.accountNumberSealed, context(retailerId)), bankCode: stored.bankCode };
}
