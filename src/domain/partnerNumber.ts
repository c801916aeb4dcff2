/**
 * A partner's PayBC reference number is an exact digit string ("10006"): never trimmed, padded or
 * converted, so one number names one partner everywhere (direct sale, web service, ledger, CLI).
 */
const PBC_REF_NUMBER = /^[1-9][0-9]{0,7}$/;

export function isPbcRefNumber(text: string): boolean {
  return PBC_REF_NUMBER.test(text);
}
