package re6st.registry.ca;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.style.BCStyle;

import re6st.pki.Pem;

/**
 * Jazzer on what {@code requestCertificate} receives from anyone: {@link CertificateRequest#parse}
 * either returns a request that passed every check (RSA of the expected size, no CN, no
 * serialNumber) or throws {@link BadCsrException} with a reason and a message; any other
 * exception or error (a parser's RuntimeException, a StackOverflowError) is a finding.
 *
 * <p>Input: first byte even: the rest is the request text (each byte one character); odd: the
 * rest is DER, wrapped in a CERTIFICATE REQUEST PEM block, so that mutations reach the ASN.1
 * parser and the checks after it. Keys of 512 bits are expected, so that the seeds (openssl
 * requests with 512-bit keys) reach the signature check and the subject check quickly.
 */
class CertificateRequestFuzzTest {
    private static final int BITS = 512;

    @FuzzTest(maxDuration = "5s")
    void csr(byte[] input) {
        if (input.length == 0)
            return;
        byte[] rest = Arrays.copyOfRange(input, 1, input.length);
        String pem = (input[0] & 1) == 0 ? new String(rest, StandardCharsets.ISO_8859_1) : Pem.encode("CERTIFICATE REQUEST", rest);
        CertificateRequest r;
        try {
            r = CertificateRequest.parse(pem, BITS);
        } catch (BadCsrException e) {
            assertNotNull(e.reason());
            assertFalse(e.getMessage() == null || e.getMessage().isEmpty(), "a refusal says why");
            return;
        }
        assertEquals(BITS, r.publicKey().getModulus().bitLength());
        for (RDN rdn : r.subject().getRDNs())
            for (AttributeTypeAndValue atv : rdn.getTypesAndValues())
                assertFalse(atv.getType().equals(BCStyle.CN) || atv.getType().equals(BCStyle.SERIALNUMBER), "reserved field accepted");
    }
}
