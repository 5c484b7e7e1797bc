package io.vipd.edge;

import io.vipd.lb.Frontend;
import io.vipd.proxy.ListenerException;
import io.vipd.proxy.ProxyServer;
import java.util.Collection;

/** Opening and closing listeners: what applying a configuration needs from the forwarding engine. */
public interface FrontendListeners {
    /**
     * Binds all of them or none, not accepting yet; the exception names the frontend that failed and why.
     */
    void open(Collection<Frontend> frontends) throws ListenerException;

    /** Starts serving opened listeners, once the table holds their frontends. */
    void accept(Collection<Frontend> frontends);

    /** Closes listeners, keeping established connections. */
    void close(Collection<Frontend> frontends);

    static FrontendListeners of(ProxyServer server) {
        return new FrontendListeners() {
            @Override
            public void open(Collection<Frontend> frontends) throws ListenerException {
                server.bind(frontends);
            }

            @Override
            public void accept(Collection<Frontend> frontends) {
                server.accept(frontends);
            }

            @Override
            public void close(Collection<Frontend> frontends) {
                server.close(frontends);
            }
        };
    }
}
