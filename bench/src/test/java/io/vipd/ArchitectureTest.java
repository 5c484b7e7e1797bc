package io.vipd;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Set;
import java.util.TreeSet;

/**
 * The dependency rules of docs/design.md, checked on the main classes of every module (bench's test classpath is
 * the one that holds them all). Arrows point one way: command line, then composition (edge, node), then the data
 * plane, admin, watcher and nodeport, then lb.
 */
@AnalyzeClasses(
        packages = "io.vipd",
        importOptions = {ImportOption.DoNotIncludeTests.class, ArchitectureTest.DoNotIncludeTestJars.class})
class ArchitectureTest {
    /** Every package of main code; a rule over fewer classes than these would pass for the wrong reason. */
    private static final Set<String> PACKAGES = Set.of(
            "io.vipd.lb",
            "io.vipd.watcher",
            "io.vipd.netpol",
            "io.vipd.nodeport",
            "io.vipd.nodeport.interception",
            "io.vipd.proxy",
            "io.vipd.admin",
            "io.vipd.edge",
            "io.vipd.node",
            "io.vipd.cli",
            "io.vipd.cli.demo",
            "io.vipd.bench",
            "io.vipd.handover",
            "io.vipd.snapshot");

    private static final String LB = "lb";
    private static final String WATCHER = "watcher";
    private static final String NETPOL = "network policy";
    private static final String NODEPORT = "nodeport";
    private static final String HANDOVER = "handover";
    private static final String DATA_PLANE = "data plane";
    private static final String ADMIN = "admin";
    private static final String EDGE = "edge";
    private static final String NODE = "node";
    private static final String DEMO = "demo";
    private static final String CLI = "command line";
    private static final String BENCH = "bench";

    @ArchTest
    static final ArchRule noPackageCycles =
            slices().matching("io.vipd.(**)").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule dataPlaneImportsNoControlPlane = noClasses()
            .that()
            .resideInAPackage("io.vipd.proxy")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "io.vipd.cli..",
                    "io.vipd.edge..",
                    "io.vipd.node..",
                    "io.vipd.admin..",
                    "io.vipd.watcher..",
                    "io.vipd.netpol..",
                    "io.vipd.nodeport..",
                    "io.vipd.bench..")
            .because("the data plane sees the control plane only through lb's ServiceTable (docs/design.md)");

    @ArchTest
    static final ArchRule layersPointOneWay = layeredArchitecture()
            .consideringOnlyDependenciesInLayers()
            .layer(CLI)
            .definedBy("io.vipd.cli")
            .layer(DEMO)
            .definedBy("io.vipd.cli.demo..")
            .layer(EDGE)
            .definedBy("io.vipd.edge..")
            .layer(NODE)
            .definedBy("io.vipd.node..")
            .layer(ADMIN)
            .definedBy("io.vipd.admin..")
            .layer(DATA_PLANE)
            .definedBy("io.vipd.proxy..")
            .layer(WATCHER)
            .definedBy("io.vipd.watcher..")
            .layer(NETPOL)
            .definedBy("io.vipd.netpol..")
            .layer(NODEPORT)
            .definedBy("io.vipd.nodeport..")
            .layer(HANDOVER)
            .definedBy("io.vipd.handover..", "io.vipd.snapshot..")
            .layer(LB)
            .definedBy("io.vipd.lb..")
            .layer(BENCH)
            .definedBy("io.vipd.bench..")
            .whereLayer(CLI)
            .mayOnlyAccessLayers(DEMO, EDGE, NODE, ADMIN, DATA_PLANE, WATCHER, NETPOL, NODEPORT, HANDOVER, LB)
            .whereLayer(DEMO)
            .mayOnlyAccessLayers(EDGE, NODE, ADMIN, DATA_PLANE, WATCHER, NETPOL, NODEPORT, HANDOVER, LB)
            .whereLayer(EDGE)
            .mayOnlyAccessLayers(ADMIN, DATA_PLANE, WATCHER, NETPOL, NODEPORT, HANDOVER, LB)
            .whereLayer(NODE)
            .mayOnlyAccessLayers(ADMIN, DATA_PLANE, WATCHER, NETPOL, NODEPORT, HANDOVER, LB)
            // Admin reports what the data plane counts (its stats); nothing below admin reaches up to it.
            .whereLayer(ADMIN)
            .mayOnlyAccessLayers(DATA_PLANE, HANDOVER, LB)
            // Listening sockets come from and go to a hand-over; that is all the data plane knows of restarts.
            .whereLayer(DATA_PLANE)
            .mayOnlyAccessLayers(HANDOVER, LB)
            // The watcher feeds NetworkPolicies, Pods and Namespaces to the network policy package's snapshots.
            .whereLayer(WATCHER)
            .mayOnlyAccessLayers(NETPOL, LB)
            .whereLayer(NETPOL)
            .mayOnlyAccessLayers(LB)
            .whereLayer(NODEPORT)
            .mayOnlyAccessLayers(HANDOVER, LB)
            .whereLayer(HANDOVER)
            .mayOnlyAccessLayers(LB)
            .whereLayer(LB)
            .mayNotAccessAnyLayer()
            .whereLayer(BENCH)
            .mayNotBeAccessedByAnyLayer();

    @ArchTest
    static void everyPackageIsAnalyzed(JavaClasses classes) {
        Set<String> packages = new TreeSet<>();
        for (JavaClass c : classes) {
            packages.add(c.getPackageName());
        }
        assertThat(packages).containsAll(PACKAGES);
    }

    /**
     * Leaves out test-jars (bench runs endpoints-watcher's FakeApiServer from one), which {@link
     * ImportOption.DoNotIncludeTests} does not recognise as test code once they are packaged.
     */
    static final class DoNotIncludeTestJars implements ImportOption {
        @Override
        public boolean includes(Location location) {
            return !location.contains("-tests.jar");
        }
    }
}
