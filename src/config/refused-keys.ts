/**
 * Kea `Dhcp4` keys leasekeeper refuses, with the reason in words: the error for such a key says why, and
 * the key table in docs/configuration.md lists it. Paths use `[]` for any list element.
 */
/** Why Kea keys that the schema lacks are refused, first match wins. */
export const REFUSED_KEYS: readonly (readonly [RegExp, string])[] = [
  [/\.(4o6-[a-z-]+|dhcp4o6-port)$/, 'DHCPv4-over-DHCPv6 (RFC 7341)'],
  [
    /^Dhcp4\.config-control/,
    "Kea's configuration backend: the configuration is the file (config-set and config-write change it)",
  ],
  [
    /^Dhcp4\.dhcp-ddns\.(qualifying-suffix|override-no-update|override-client-update|replace-client-name|generated-prefix|hostname-char-set|hostname-char-replacement)$/,
    'moved out of dhcp-ddns in Kea 1.7: set the global ddns-* (or hostname-char-*) key of the same name instead',
  ],
  [
    /^Dhcp4\.client-classes\[\]\.offer-lifetime$/,
    "a class's offer-lifetime is not applied (offers are held per subnet)",
  ],
  [
    /\.pools\[\]\.(ddns-[a-z-]+|hostname-char-[a-z]+)$/,
    'DNS update settings per pool (Kea 2.6) are not applied; set them on the subnet',
  ],
  [/\.template-test$/, 'template classes (Kea 2.6)'],
  [/\.http-headers/, 'extra HTTP response headers are not sent'],
  [
    /\.option-data\[\]\.client-classes$/,
    'options limited to classes (Kea 2.7) are not supported; use a class with option-data',
  ],
];

/** The reason a Kea key at `path` (indexes written `[3]` or `[]`) is refused, if it is one Kea defines. */
export function refusalReason(path: string): string | undefined {
  const general = path.replace(/\[\d+\]/g, '[]');
  return REFUSED_KEYS.find(([re]) => re.test(general))?.[1];
}
