package io.vipd.watcher;

/** Why an object, or part of one, was left out. The label value of vipd_watcher_skipped_objects_total. */
public enum SkipReason {
    SLICE_WITHOUT_SERVICE_LABEL("slice_without_service_label"),
    FQDN_SLICE("fqdn_slice"),
    UNKNOWN_ADDRESS_TYPE("unknown_address_type"),
    BAD_ADDRESS("bad_address"),
    ENDPOINT_WITHOUT_ADDRESS("endpoint_without_address"),
    PORT_WITHOUT_NAME("port_without_name"),
    PORT_WITHOUT_NUMBER("port_without_number"),
    BAD_PROTOCOL("bad_protocol"),
    BAD_SERVICE_FIELD("bad_service_field"),
    MISSING_METADATA("missing_metadata");

    private final String label;

    SkipReason(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }
}
