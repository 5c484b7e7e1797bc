package io.vipd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The daemon's Netty leak detector: off by default, as asked when the property is given. */
class LeakDetectionDefaultTest {
    private String property;
    private ResourceLeakDetector.Level level;

    @BeforeEach
    void remember() {
        property = System.getProperty("io.netty.leakDetection.level");
        level = ResourceLeakDetector.getLevel();
    }

    @AfterEach
    void restore() {
        if (property == null) {
            System.clearProperty("io.netty.leakDetection.level");
        } else {
            System.setProperty("io.netty.leakDetection.level", property);
        }
        ResourceLeakDetector.setLevel(level);
    }

    @Test
    void offWhenNotAskedFor() {
        System.clearProperty("io.netty.leakDetection.level");
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.SIMPLE);
        Main.quietLeakDetection();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.DISABLED);
    }

    @Test
    void leftAsAskedWhenThePropertyIsGiven() {
        System.setProperty("io.netty.leakDetection.level", "advanced");
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.ADVANCED);
        Main.quietLeakDetection();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.ADVANCED);
    }
}
