/**
 * GeoIP for the registry (the original's GEOIP2_MMDB): {@link re6st.registry.geo.GeoIp} gives
 * the country and continent of an address, {@link re6st.registry.geo.MaxMindGeoIp} reads them from a
 * GeoIP2/GeoLite2 Country database (MaxMind DB format), {@link re6st.registry.geo.ClientAddress}
 * picks the address requestCertificate looks up.
 */
package re6st.registry.geo;
