package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The runtime classpath, which the shaded jar and so the image carry, has Netty's epoll library for both
 * architectures deploy/Dockerfile builds: without it {@code vipd node} refuses to start, since its transparent
 * listeners need the native transport.
 */
class EpollNativesTest {
    @ParameterizedTest
    @ValueSource(strings = {"x86_64", "aarch_64"})
    void theEpollNativeIsThereFor(String arch) {
        assertThat(getClass()
                        .getClassLoader()
                        .getResource("META-INF/native/libnetty_transport_native_epoll_" + arch + ".so"))
                .as("netty-transport-native-epoll, classifier linux-" + arch)
                .isNotNull();
    }
}
