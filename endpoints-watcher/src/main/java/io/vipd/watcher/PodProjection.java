package io.vipd.watcher;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import java.util.List;

/** The part of a Pod that NetworkPolicy evaluation reads, as a fresh, much smaller Pod. Pure. */
final class PodProjection {
    private PodProjection() {}

    static Pod of(Pod pod) {
        var meta = pod.getMetadata();
        var spec = pod.getSpec();
        var status = pod.getStatus();
        PodBuilder b = new PodBuilder()
                .withApiVersion(pod.getApiVersion())
                .withKind(pod.getKind())
                .withMetadata(new ObjectMetaBuilder()
                        .withName(meta.getName())
                        .withNamespace(meta.getNamespace())
                        .withUid(meta.getUid())
                        .withResourceVersion(meta.getResourceVersion())
                        .withLabels(meta.getLabels())
                        .build());
        if (spec != null) {
            b.withSpec(new PodSpecBuilder()
                    .withNodeName(spec.getNodeName())
                    .withHostNetwork(spec.getHostNetwork())
                    .withContainers(namedPorts(spec.getContainers()))
                    .withInitContainers(namedPorts(spec.getInitContainers()))
                    .build());
        }
        if (status != null) {
            b.withStatus(new PodStatusBuilder()
                    .withPhase(status.getPhase())
                    .withPodIP(status.getPodIP())
                    .withPodIPs(status.getPodIPs())
                    .build());
        }
        return b.build();
    }

    private static List<Container> namedPorts(List<Container> containers) {
        if (containers == null) {
            return List.of();
        }
        return containers.stream()
                .filter(c -> c.getPorts() != null && c.getPorts().stream().anyMatch(p -> p.getName() != null))
                .map(c -> new ContainerBuilder()
                        .withName(c.getName())
                        .withPorts(c.getPorts().stream()
                                .filter(p -> p.getName() != null)
                                .toList())
                        .build())
                .toList();
    }
}
