package io.vipd.snapshot;

import io.vipd.lb.Algorithm;
import io.vipd.lb.Backend;
import io.vipd.lb.BackendSet;
import io.vipd.lb.BackendState;
import io.vipd.lb.Cidr;
import io.vipd.lb.Frontend;
import io.vipd.lb.FrontendType;
import io.vipd.lb.Protocol;
import io.vipd.lb.ProxyProtocol;
import io.vipd.lb.ServiceFrontend;
import io.vipd.lb.ServicePortEntry;
import io.vipd.lb.ServicePortName;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * The snapshot file format: a binary encoding of {@link TableSnapshot} with the JDK's data streams, guarded by
 * a magic, a format version and a CRC32C over the body, so a torn, corrupt or foreign file is refused rather than
 * half read. Enums are written by name, so reordering one cannot change a restored table. Strings repeat a
 * lot (node names, zones, namespaces), so each is written once and referred to by number afterwards.
 * Stateless.
 */
public final class SnapshotCodec {
    static final byte[] MAGIC = {'V', 'I', 'P', 'D', 'S', 'N', 'A', 'P'};
    /** Bump on any change to the encoding; an older or newer file is ignored with a warning. */
    public static final int VERSION = 1;

    private SnapshotCodec() {}

    public static byte[] encode(TableSnapshot snapshot) {
        try {
            ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
            Writer w = new Writer(new DataOutputStream(body));
            w.string(snapshot.mode());
            w.string(snapshot.source());
            w.out.writeLong(snapshot.takenAt().toEpochMilli());
            w.out.writeInt(snapshot.entries().size());
            for (ServicePortEntry e : snapshot.entries()) {
                w.entry(e);
            }
            w.out.flush();
            byte[] bytes = body.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(bytes);
            ByteArrayOutputStream file = new ByteArrayOutputStream(bytes.length + 24);
            DataOutputStream out = new DataOutputStream(file);
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(bytes.length);
            out.write(bytes);
            out.writeLong(crc.getValue());
            out.flush();
            return file.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("in-memory stream", e);
        }
    }

    public static TableSnapshot decode(byte[] file) throws SnapshotFormatException {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(file));
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!java.util.Arrays.equals(magic, MAGIC)) {
                throw new SnapshotFormatException("not a vipd table snapshot");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new SnapshotFormatException(
                        "snapshot format version " + version + ", this vipd reads " + VERSION);
            }
            int length = in.readInt();
            if (length < 0 || length > file.length) {
                throw new SnapshotFormatException("truncated snapshot");
            }
            byte[] body = new byte[length];
            in.readFully(body);
            long expected = in.readLong();
            CRC32C crc = new CRC32C();
            crc.update(body);
            if (crc.getValue() != expected) {
                throw new SnapshotFormatException("snapshot checksum mismatch (corrupt or torn file)");
            }
            Reader r = new Reader(new DataInputStream(new ByteArrayInputStream(body)));
            String mode = r.string();
            String source = r.string();
            Instant takenAt = Instant.ofEpochMilli(r.in.readLong());
            int n = r.count();
            List<ServicePortEntry> entries = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                entries.add(r.entry());
            }
            return new TableSnapshot(mode, source, takenAt, entries);
        } catch (EOFException e) {
            throw new SnapshotFormatException("truncated snapshot", e);
        } catch (IOException | RuntimeException e) {
            // A checksummed body that still does not decode was written by a different encoder: refuse it.
            throw new SnapshotFormatException("unreadable snapshot: " + e.getMessage(), e);
        }
    }

    private static final class Writer {
        final DataOutputStream out;
        private final Map<String, Integer> strings = new HashMap<>();

        Writer(DataOutputStream out) {
            this.out = out;
        }

        /** A string's number once seen; the first time, -1 followed by its text. */
        void string(String s) throws IOException {
            Integer id = strings.get(s);
            if (id != null) {
                out.writeInt(id);
                return;
            }
            strings.put(s, strings.size());
            out.writeInt(-1);
            out.writeUTF(s);
        }

        void address(InetAddress a) throws IOException {
            if (a == null) {
                out.writeByte(0);
                return;
            }
            byte[] b = a.getAddress();
            out.writeByte(b.length);
            out.write(b);
        }

        void entry(ServicePortEntry e) throws IOException {
            ServicePortName name = e.name();
            string(name.service().namespace());
            string(name.service().name());
            string(name.port());
            string(name.protocol().name());
            out.writeInt(e.frontends().size());
            for (ServiceFrontend f : e.frontends()) {
                address(f.frontend().address());
                out.writeShort(f.frontend().port());
                string(f.frontend().protocol().name());
                string(f.type().name());
            }
            string(e.algorithm().name());
            out.writeInt(e.affinityTimeoutSeconds());
            string(e.proxyProtocol().name());
            out.writeInt(e.sourceRanges().size());
            for (Cidr c : e.sourceRanges()) {
                string(c.toString());
            }
            out.writeInt(e.healthCheckNodePort());
            out.writeBoolean(e.internalPolicyLocal());
            out.writeBoolean(e.externalPolicyLocal());
            out.writeInt(e.maglevTableSize());
            set(e.endpoints());
            out.writeBoolean(e.perFamily());
            if (e.perFamily()) {
                for (boolean ipv6 : new boolean[] {false, true}) {
                    ServicePortEntry.Categorized c = e.categorized(ipv6);
                    out.writeBoolean(c != null);
                    if (c != null) {
                        categorized(c.cluster(), c.local(), c.hasAny());
                    }
                }
            } else {
                categorized(e.clusterEndpoints(), e.localEndpoints(), e.hasAnyEndpoints());
            }
        }

        void categorized(BackendSet cluster, BackendSet local, boolean hasAny) throws IOException {
            nullableSet(cluster);
            nullableSet(local);
            out.writeBoolean(hasAny);
        }

        void nullableSet(BackendSet s) throws IOException {
            out.writeBoolean(s != null);
            if (s != null) {
                set(s);
            }
        }

        void set(BackendSet s) throws IOException {
            out.writeInt(s.size());
            for (Backend b : s.backends()) {
                address(b.ip());
                out.writeShort(b.port());
                out.writeInt(b.weight());
                string(b.nodeName());
                string(b.zone());
                string(b.state().name());
                out.writeBoolean(b.local());
                strings(b.zoneHints());
                strings(b.nodeHints());
            }
        }

        void strings(Set<String> set) throws IOException {
            out.writeInt(set.size());
            for (String s : set) {
                string(s);
            }
        }
    }

    private static final class Reader {
        final DataInputStream in;
        private final List<String> strings = new ArrayList<>();

        Reader(DataInputStream in) {
            this.in = in;
        }

        String string() throws IOException {
            int id = in.readInt();
            if (id == -1) {
                String s = in.readUTF();
                strings.add(s);
                return s;
            }
            if (id < 0 || id >= strings.size()) {
                throw new IOException("bad string reference " + id);
            }
            return strings.get(id);
        }

        int count() throws IOException {
            int n = in.readInt();
            if (n < 0) {
                throw new IOException("negative count " + n);
            }
            return n;
        }

        InetAddress address() throws IOException {
            int len = in.readUnsignedByte();
            if (len == 0) {
                return null;
            }
            if (len != 4 && len != 16) {
                throw new IOException("bad address length " + len);
            }
            byte[] b = new byte[len];
            in.readFully(b);
            return InetAddress.getByAddress(b);
        }

        ServicePortEntry entry() throws IOException {
            ServicePortName name = ServicePortName.of(string(), string(), string(), Protocol.valueOf(string()));
            int nf = count();
            List<ServiceFrontend> frontends = new ArrayList<>(nf);
            for (int i = 0; i < nf; i++) {
                InetAddress a = address();
                int port = in.readUnsignedShort();
                Protocol p = Protocol.valueOf(string());
                frontends.add(new ServiceFrontend(new Frontend(a, port, p), FrontendType.valueOf(string())));
            }
            ServicePortEntry.Builder b = ServicePortEntry.builder(name)
                    .frontends(frontends)
                    .algorithm(Algorithm.valueOf(string()))
                    .affinityTimeoutSeconds(in.readInt())
                    .proxyProtocol(ProxyProtocol.valueOf(string()));
            int nr = count();
            List<Cidr> ranges = new ArrayList<>(nr);
            for (int i = 0; i < nr; i++) {
                ranges.add(Cidr.parse(string()));
            }
            b.sourceRanges(ranges)
                    .healthCheckNodePort(in.readInt())
                    .internalPolicyLocal(in.readBoolean())
                    .externalPolicyLocal(in.readBoolean())
                    .maglevTableSize(in.readInt());
            BackendSet endpoints = set();
            if (in.readBoolean()) {
                for (boolean ipv6 : new boolean[] {false, true}) {
                    if (in.readBoolean()) {
                        b.categorized(ipv6, nullableSet(), nullableSet(), in.readBoolean());
                    }
                }
            } else {
                b.categorized(nullableSet(), nullableSet(), in.readBoolean());
            }
            return b.endpoints(endpoints).build();
        }

        BackendSet nullableSet() throws IOException {
            return in.readBoolean() ? set() : null;
        }

        BackendSet set() throws IOException {
            int n = count();
            List<Backend> backends = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                InetAddress ip = address();
                int port = in.readUnsignedShort();
                int weight = in.readInt();
                String node = string();
                String zone = string();
                BackendState state = BackendState.valueOf(string());
                boolean local = in.readBoolean();
                backends.add(new Backend(ip, port, weight, node, zone, state, local, strings(), strings()));
            }
            return BackendSet.of(backends);
        }

        Set<String> strings() throws IOException {
            int n = count();
            Set<String> set = new HashSet<>(n);
            for (int i = 0; i < n; i++) {
                set.add(string());
            }
            return set;
        }
    }
}
