package io.vipd.nodeport.interception;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class NftListingTest {
    private static final String LISTING = """
            table inet vipd {
            	comment "vipd node mode"
            	set frontends-v4 {
            		type ipv4_addr . inet_proto . inet_service
            		elements = { 198.19.0.10 . tcp . 80,
            			     198.19.0.11 . udp . 53 }
            	}
            	set nodeports {
            		type inet_proto . inet_service
            	}
            	chain prerouting {
            		type filter hook prerouting priority mangle; policy accept;
            		ip daddr . meta l4proto . th dport @frontends-v4 drop
            	}
            }
            """;

    @Test
    void elementsCompareAsSetsWhateverTheirOrderAndLineBreaks() {
        String reordered = LISTING.replace(
                "elements = { 198.19.0.10 . tcp . 80,\n\t\t\t     198.19.0.11 . udp . 53 }",
                "elements = { 198.19.0.11 . udp . 53, 198.19.0.10 . tcp . 80 }");
        assertThat(reordered).isNotEqualTo(LISTING);
        assertThat(NftListing.parse(LISTING).differencesTo(NftListing.parse(reordered)))
                .isEmpty();
        assertThat(NftListing.parse(LISTING).elements("frontends-v4"))
                .containsExactly("198.19.0.10 . tcp . 80", "198.19.0.11 . udp . 53");
    }

    @Test
    void namesWhatWasRemovedOrAdded() {
        String changed = LISTING.replace("198.19.0.11 . udp . 53", "198.19.9.9 . udp . 53")
                .replace("\t\tip daddr . meta l4proto . th dport @frontends-v4 drop\n", "");
        assertThat(NftListing.parse(LISTING).differencesTo(NftListing.parse(changed)))
                .containsExactly(
                        "set frontends-v4: 1 element(s) missing (e.g. 198.19.0.11 . udp . 53), 1 unexpected"
                                + " (e.g. 198.19.9.9 . udp . 53)",
                        "chain prerouting: 1 statement(s) missing (e.g. ip daddr . meta l4proto . th dport"
                                + " @frontends-v4 drop), 0 unexpected");
        String flushed = "table inet vipd {\n\tcomment \"vipd node mode\"\n}\n";
        assertThat(NftListing.parse(LISTING).differencesTo(NftListing.parse(flushed)))
                .containsExactly(
                        "set frontends-v4 is missing", "set nodeports is missing", "chain prerouting is missing");
        assertThat(NftListing.parse(flushed).differencesTo(NftListing.parse(LISTING)))
                .contains("chain prerouting was added");
    }

    @Test
    void judgesAListingWithoutReferenceByItsShape() {
        NftListing listing = NftListing.parse(LISTING);
        assertThat(listing.differencesToCounts(
                        Map.of("set frontends-v4", 2, "set nodeports", 0), Map.of("prerouting", 1)))
                .isEmpty();
        assertThat(listing.differencesToCounts(Map.of("set frontends-v4", 3), Map.of("prerouting", 2, "output", 2)))
                .containsExactlyInAnyOrder(
                        "set frontends-v4: 2 element(s), expected 3",
                        "chain prerouting: 1 rule(s), expected 2",
                        "chain output is missing");
    }
}
