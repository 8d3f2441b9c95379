package io.github.peft4j.train.curation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.peft4j.train.data.DataRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PiiAnonymizerTest {

    private static String run(PiiRule rule, String text) {
        return rule.apply(text, new CurationReport.Counter());
    }

    @Test
    void email() {
        PiiRule r = PiiRules.email();
        assertEquals("write to <EMAIL>.", run(r, "write to john.doe+tag@example.co.uk."));
        assertEquals("<EMAIL>, <EMAIL>", run(r, "a@b.io, X_Y@mail-host.org"));
        for (String keep : List.of("user@localhost", "an @ sign", "a@b", "@handle", "price 5@3.50")) {
            assertEquals(keep, run(r, keep));
        }
    }

    @Test
    void phone() {
        PiiRule r = PiiRules.phone();
        assertEquals("call <PHONE> now", run(r, "call +41 44 668 18 00 now"));
        assertEquals("office <PHONE>", run(r, "office (030) 1234567"));
        assertEquals("cell <PHONE>.", run(r, "cell 0171 2345678."));
        assertEquals("us <PHONE>", run(r, "us 555-123-4567"));
        assertEquals("intl <PHONE>", run(r, "intl +1.555.123.4567"));
        for (String keep : List.of("on 2023-01-15", "order 12345678", "at 12:30", "pi 3.14159", "room 0421",
                "year 1999 and 2024", "id 0123456789012345678")) {
            assertEquals(keep, run(r, keep));
        }
    }

    @Test
    void cardNumbersNeedAValidLuhnChecksum() {
        PiiRule r = PiiRules.card();
        assertEquals("card <CARD> ok", run(r, "card 4111 1111 1111 1111 ok"));
        assertEquals("<CARD>", run(r, "5555-5555-5555-4444"));
        assertEquals("amex <CARD>", run(r, "amex 3782 822463 10005"));
        assertEquals("<CARD>", run(r, "4012888888881881"));
        // Luhn-invalid: must stay, and must not be taken for a phone number either
        String invalid = "card 4111 1111 1111 1112 declined";
        assertEquals(invalid, PiiAnonymizer.defaults().anonymize(invalid, new CurationReport.Counter()));
        assertEquals("9111111111111111", run(r, "9111111111111111")); // no issuer starts with 9
        assertTrue(PiiRules.luhnValid("79927398713"));
        assertFalse(PiiRules.luhnValid("79927398710"));
    }

    @Test
    void ibanNeedsCountryLengthAndMod97() {
        PiiRule r = PiiRules.iban();
        assertEquals("pay to <IBAN> today", run(r, "pay to DE89 3704 0044 0532 0130 00 today"));
        assertEquals("<IBAN>", run(r, "GB82WEST12345698765432"));
        assertEquals("<IBAN> IBAN", run(r, "DE89 3704 0044 0532 0130 00 IBAN"));
        assertEquals("DE89 3704 0044 0532 0130 01", run(r, "DE89 3704 0044 0532 0130 01"));
        assertEquals("DE89370400440532013", run(r, "DE89370400440532013")); // too short for DE
        assertTrue(PiiRules.ibanValid("FR1420041010050500013M02606"));
        assertFalse(PiiRules.ibanValid("FR1420041010050500013M02607"));
    }

    @Test
    void ipAddresses() {
        PiiAnonymizer pii = PiiAnonymizer.builder().builtIns(false, false, false, true, false).build();
        CurationReport.Counter c = new CurationReport.Counter();
        assertEquals("server <IP> is down.", pii.anonymize("server 192.168.1.20 is down.", c));
        assertEquals("v6 <IP> and <IP> and <IP>", pii.anonymize(
                "v6 2001:db8::8a2e:370:7334 and 2001:0db8:85a3:0000:0000:8a2e:0370:7334 and ::1", c));
        assertEquals(4, c.get(PiiRules.IP));
        for (String keep : List.of("999.1.1.1", "version 1.2.3", "1.2.3.4.5", "at 10:30:45", "a::b::c", "ratio 16:9")) {
            assertEquals(keep, pii.anonymize(keep, new CurationReport.Counter()));
        }
    }

    @Test
    void userPatternsGetTypedPlaceholders() {
        PiiAnonymizer pii = PiiAnonymizer.builder().builtIns(false, false, false, false, false)
                .names(List.of("Alice Martin", "Bob")).pattern("TICKET", "\\bTCK-\\d{5}\\b").build();
        CurationReport.Counter c = new CurationReport.Counter();
        assertEquals("<NAME> and <NAME> filed <TICKET>; Bobby stays",
                pii.anonymize("Alice Martin and Bob filed TCK-12345; Bobby stays", c));
        assertEquals(Map.of("NAME", 2, "TICKET", 1), c.asMap());
    }

    @Test
    void curatorReportsCountsPerRule() {
        List<DataRecord> records = List.of(
                new DataRecord.PromptCompletion("My mail is a@b.io and card 4111 1111 1111 1111", " Thanks!"),
                new DataRecord.Text("Call +41 44 668 18 00 or mail c@d.org"),
                new DataRecord.Text("call +41 44 668 18 00 or mail c@d.org"),
                new DataRecord.Text("Nothing personal here"));
        Curator.Result r = Curator.builder().exactDedup(true).anonymizer(PiiAnonymizer.defaults()).build()
                .curate(records, 2);
        CurationReport rep = r.report();
        assertEquals(4, rep.recordsIn());
        assertEquals(2, rep.skippedBadLines());
        assertEquals(1, rep.exactDuplicates());
        assertEquals(0, rep.nearDuplicates());
        assertEquals(2, rep.recordsWithPii());
        assertEquals(Map.of("CARD", 1, "EMAIL", 2, "PHONE", 1), rep.piiReplacements());
        assertEquals(3, rep.recordsOut());
        assertEquals(new DataRecord.PromptCompletion("My mail is <EMAIL> and card <CARD>", " Thanks!"), r.records().get(0));
        assertTrue(rep.toMarkdown().contains("| EMAIL replaced | 2 |"));
    }
}
