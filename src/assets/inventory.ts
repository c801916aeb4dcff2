/**
 * Script inventory of the payment pages (PCI DSS 6.4.3): every script the pages may load, with
 * its purpose and SHA-256. test/scriptInventory.test.ts fails when a page loads a script that is
 * not listed here or whose content no longer matches its recorded hash (11.6.1).
 */
export interface InventoriedScript {
  path: string;
  purpose: string;
  sha256: string;
}

export const SCRIPT_INVENTORY: InventoriedScript[] = [
  {
    path: "/public/assets/card.js",
    purpose: "Card page convenience: client-side checks with the server's messages, double-submit guard",
    sha256: "bbc176371681d1349980ec271effbecb96635de36c341ee838d5614fa0904b40",
  },
];
