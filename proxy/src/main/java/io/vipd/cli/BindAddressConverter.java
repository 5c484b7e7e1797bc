package io.vipd.cli;

import io.vipd.lb.Addresses;
import java.net.InetSocketAddress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** An admin bind address, "ip:port" or "[v6]:port"; port 0 picks a free port. Empty disables the server (null). */
public final class BindAddressConverter implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
        if (value.isBlank()) {
            return null;
        }
        String v = value.trim();
        try {
            if (v.endsWith(":0")) {
                return new InetSocketAddress(Addresses.parseIp(v.substring(0, v.length() - 2)), 0);
            }
            return Addresses.parseIpPort(v);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
