"""Decoding of Kubernetes protobuf request bodies into JSON-shaped dicts.

kubectl's typed generators (`kubectl create namespace|configmap|secret|
deployment|service|...`) send `application/vnd.kubernetes.protobuf` bodies and
do not retry with JSON, so the fake server has to read them. The body is the
4-byte magic "k8s\\0" followed by a runtime.Unknown message
(typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4);
raw holds the object's own message.

The wire format is decoded by hand from the field numbers in k8s.io/api's
generated.proto files, for the kinds listed in KINDS. The Go marshaller writes
every non-pointer field even when it is zero ("" , 0, false, empty nested
message), so zero scalars are dropped unless the Go field is a pointer (marked
"ptr" below), which is what `omitempty` JSON would have said. A field this
table does not know is ignored when its value is zero and refused otherwise,
so an object is never stored with data silently lost.
"""

import base64
import datetime
import json

__all__ = ["ProtobufError", "MAGIC", "decode", "KINDS"]

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    pass


# Field spec: number -> (json name, type, flags). Types: "string", "bytes",
# "int", "bool", "msg:Name", "map:K:V" (V a scalar type or msg:Name),
# "time", "microtime", "intorstr", "quantity", "rawjson".
# Flags: "rep" repeated, "ptr" keep zero values, "inline" merge the nested
# message into the parent (Go's `json:",inline"`).
def F(name, typ, *flags):
    return (name, typ, frozenset(flags))


M = {}

M["ObjectMeta"] = {
    1: F("name", "string"), 2: F("generateName", "string"), 3: F("namespace", "string"),
    4: F("selfLink", "string"), 5: F("uid", "string"), 6: F("resourceVersion", "string"),
    7: F("generation", "int"), 8: F("creationTimestamp", "time"),
    9: F("deletionTimestamp", "time"), 10: F("deletionGracePeriodSeconds", "int", "ptr"),
    11: F("labels", "map:string:string"), 12: F("annotations", "map:string:string"),
    13: F("ownerReferences", "msg:OwnerReference", "rep"), 14: F("finalizers", "string", "rep"),
    17: F("managedFields", "msg:ManagedFieldsEntry", "rep"),
}
M["OwnerReference"] = {
    5: F("apiVersion", "string"), 1: F("kind", "string"), 3: F("name", "string"),
    4: F("uid", "string"), 6: F("controller", "bool", "ptr"),
    7: F("blockOwnerDeletion", "bool", "ptr"),
}
M["ManagedFieldsEntry"] = {
    1: F("manager", "string"), 2: F("operation", "string"), 3: F("apiVersion", "string"),
    4: F("time", "time"), 6: F("fieldsType", "string"), 7: F("fieldsV1", "msg:FieldsV1"),
    8: F("subresource", "string"),
}
M["FieldsV1"] = {1: F("Raw", "rawjson")}
M["LabelSelector"] = {
    1: F("matchLabels", "map:string:string"),
    2: F("matchExpressions", "msg:LabelSelectorRequirement", "rep"),
}
M["LabelSelectorRequirement"] = {
    1: F("key", "string"), 2: F("operator", "string"), 3: F("values", "string", "rep"),
}
M["Condition"] = {
    1: F("type", "string"), 2: F("status", "string"), 3: F("observedGeneration", "int"),
    4: F("lastTransitionTime", "time"), 5: F("reason", "string"), 6: F("message", "string"),
}

# core/v1
M["Namespace"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("spec", "msg:NamespaceSpec"),
                  3: F("status", "msg:NamespaceStatus")}
M["NamespaceSpec"] = {1: F("finalizers", "string", "rep")}
M["NamespaceStatus"] = {1: F("phase", "string"),
                        2: F("conditions", "msg:NamespaceCondition", "rep")}
M["NamespaceCondition"] = {
    1: F("type", "string"), 2: F("status", "string"), 4: F("lastTransitionTime", "time"),
    5: F("reason", "string"), 6: F("message", "string"),
}
M["ConfigMap"] = {1: F("metadata", "msg:ObjectMeta"), 4: F("immutable", "bool", "ptr"),
                  2: F("data", "map:string:string"), 3: F("binaryData", "map:string:bytes")}
M["Secret"] = {1: F("metadata", "msg:ObjectMeta"), 5: F("immutable", "bool", "ptr"),
               2: F("data", "map:string:bytes"), 4: F("stringData", "map:string:string"),
               3: F("type", "string")}
M["ServiceAccount"] = {
    1: F("metadata", "msg:ObjectMeta"), 2: F("secrets", "msg:ObjectReference", "rep"),
    3: F("imagePullSecrets", "msg:LocalObjectReference", "rep"),
    4: F("automountServiceAccountToken", "bool", "ptr"),
}
M["ObjectReference"] = {
    1: F("kind", "string"), 2: F("namespace", "string"), 3: F("name", "string"),
    4: F("uid", "string"), 5: F("apiVersion", "string"), 6: F("resourceVersion", "string"),
    7: F("fieldPath", "string"),
}
M["LocalObjectReference"] = {1: F("name", "string")}
M["Service"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("spec", "msg:ServiceSpec"),
                3: F("status", "msg:ServiceStatus")}
M["ServiceSpec"] = {
    1: F("ports", "msg:ServicePort", "rep"), 2: F("selector", "map:string:string"),
    3: F("clusterIP", "string"), 18: F("clusterIPs", "string", "rep"), 4: F("type", "string"),
    5: F("externalIPs", "string", "rep"), 7: F("sessionAffinity", "string"),
    8: F("loadBalancerIP", "string"), 9: F("loadBalancerSourceRanges", "string", "rep"),
    10: F("externalName", "string"), 11: F("externalTrafficPolicy", "string"),
    12: F("healthCheckNodePort", "int"), 13: F("publishNotReadyAddresses", "bool"),
    14: F("sessionAffinityConfig", "msg:SessionAffinityConfig"),
    19: F("ipFamilies", "string", "rep"), 17: F("ipFamilyPolicy", "string", "ptr"),
    20: F("allocateLoadBalancerNodePorts", "bool", "ptr"),
    21: F("loadBalancerClass", "string", "ptr"), 22: F("internalTrafficPolicy", "string", "ptr"),
    23: F("trafficDistribution", "string", "ptr"),
}
M["ServicePort"] = {
    1: F("name", "string"), 2: F("protocol", "string"), 6: F("appProtocol", "string", "ptr"),
    3: F("port", "int"), 4: F("targetPort", "intorstr"), 5: F("nodePort", "int"),
}
M["SessionAffinityConfig"] = {1: F("clientIP", "msg:ClientIPConfig")}
M["ClientIPConfig"] = {1: F("timeoutSeconds", "int", "ptr")}
M["ServiceStatus"] = {1: F("loadBalancer", "msg:LoadBalancerStatus"),
                      2: F("conditions", "msg:Condition", "rep")}
M["LoadBalancerStatus"] = {1: F("ingress", "msg:LoadBalancerIngress", "rep")}
M["LoadBalancerIngress"] = {1: F("ip", "string"), 2: F("hostname", "string"),
                            3: F("ipMode", "string", "ptr"),
                            4: F("ports", "msg:PortStatus", "rep")}
M["PortStatus"] = {1: F("port", "int"), 2: F("protocol", "string"),
                   3: F("error", "string", "ptr")}
M["PodTemplateSpec"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("spec", "msg:PodSpec")}
M["PodSpec"] = {
    1: F("volumes", "msg:Volume", "rep"), 20: F("initContainers", "msg:Container", "rep"),
    2: F("containers", "msg:Container", "rep"), 3: F("restartPolicy", "string"),
    4: F("terminationGracePeriodSeconds", "int", "ptr"),
    5: F("activeDeadlineSeconds", "int", "ptr"), 6: F("dnsPolicy", "string"),
    7: F("nodeSelector", "map:string:string"), 8: F("serviceAccountName", "string"),
    9: F("serviceAccount", "string"), 21: F("automountServiceAccountToken", "bool", "ptr"),
    10: F("nodeName", "string"), 11: F("hostNetwork", "bool"), 12: F("hostPID", "bool"),
    13: F("hostIPC", "bool"), 27: F("shareProcessNamespace", "bool", "ptr"),
    14: F("securityContext", "msg:PodSecurityContext"),
    15: F("imagePullSecrets", "msg:LocalObjectReference", "rep"),
    16: F("hostname", "string"), 17: F("subdomain", "string"),
    19: F("schedulerName", "string"), 22: F("tolerations", "msg:Toleration", "rep"),
    24: F("priorityClassName", "string"), 25: F("priority", "int", "ptr"),
    29: F("runtimeClassName", "string", "ptr"), 30: F("enableServiceLinks", "bool", "ptr"),
    31: F("preemptionPolicy", "string", "ptr"), 35: F("setHostnameAsFQDN", "bool", "ptr"),
    37: F("hostUsers", "bool", "ptr"), 40: F("resources", "msg:ResourceRequirements"),
}
M["PodSecurityContext"] = {
    2: F("runAsUser", "int", "ptr"), 6: F("runAsGroup", "int", "ptr"),
    3: F("runAsNonRoot", "bool", "ptr"), 4: F("supplementalGroups", "int", "rep"),
    12: F("supplementalGroupsPolicy", "string", "ptr"), 5: F("fsGroup", "int", "ptr"),
    9: F("fsGroupChangePolicy", "string", "ptr"), 13: F("seLinuxChangePolicy", "string", "ptr"),
}
M["SecurityContext"] = {
    1: F("capabilities", "msg:Capabilities"), 2: F("privileged", "bool", "ptr"),
    4: F("runAsUser", "int", "ptr"), 8: F("runAsGroup", "int", "ptr"),
    5: F("runAsNonRoot", "bool", "ptr"), 6: F("readOnlyRootFilesystem", "bool", "ptr"),
    7: F("allowPrivilegeEscalation", "bool", "ptr"), 9: F("procMount", "string", "ptr"),
}
M["Capabilities"] = {1: F("add", "string", "rep"), 2: F("drop", "string", "rep")}
M["Toleration"] = {
    1: F("key", "string"), 2: F("operator", "string"), 3: F("value", "string"),
    4: F("effect", "string"), 5: F("tolerationSeconds", "int", "ptr"),
}
M["Container"] = {
    1: F("name", "string"), 2: F("image", "string"), 3: F("command", "string", "rep"),
    4: F("args", "string", "rep"), 5: F("workingDir", "string"),
    6: F("ports", "msg:ContainerPort", "rep"), 19: F("envFrom", "msg:EnvFromSource", "rep"),
    7: F("env", "msg:EnvVar", "rep"), 8: F("resources", "msg:ResourceRequirements"),
    24: F("restartPolicy", "string", "ptr"), 9: F("volumeMounts", "msg:VolumeMount", "rep"),
    13: F("terminationMessagePath", "string"), 20: F("terminationMessagePolicy", "string"),
    14: F("imagePullPolicy", "string"), 15: F("securityContext", "msg:SecurityContext"),
    16: F("stdin", "bool"), 17: F("stdinOnce", "bool"), 18: F("tty", "bool"),
}
M["ContainerPort"] = {
    1: F("name", "string"), 2: F("hostPort", "int"), 3: F("containerPort", "int"),
    4: F("protocol", "string"), 5: F("hostIP", "string"),
}
M["EnvVar"] = {1: F("name", "string"), 2: F("value", "string"),
               3: F("valueFrom", "msg:EnvVarSource")}
M["EnvVarSource"] = {
    1: F("fieldRef", "msg:ObjectFieldSelector"),
    2: F("resourceFieldRef", "msg:ResourceFieldSelector"),
    3: F("configMapKeyRef", "msg:ConfigMapKeySelector"),
    4: F("secretKeyRef", "msg:SecretKeySelector"),
}
M["ObjectFieldSelector"] = {1: F("apiVersion", "string"), 2: F("fieldPath", "string")}
M["ResourceFieldSelector"] = {1: F("containerName", "string"), 2: F("resource", "string"),
                              3: F("divisor", "quantity")}
M["ConfigMapKeySelector"] = {1: F("", "msg:LocalObjectReference", "inline"),
                             2: F("key", "string"), 3: F("optional", "bool", "ptr")}
M["SecretKeySelector"] = M["ConfigMapKeySelector"]
M["EnvFromSource"] = {1: F("prefix", "string"), 2: F("configMapRef", "msg:ConfigMapEnvSource"),
                      3: F("secretRef", "msg:ConfigMapEnvSource")}
M["ConfigMapEnvSource"] = {1: F("", "msg:LocalObjectReference", "inline"),
                           2: F("optional", "bool", "ptr")}
M["ResourceRequirements"] = {1: F("limits", "map:string:quantity"),
                             2: F("requests", "map:string:quantity")}
M["VolumeMount"] = {
    1: F("name", "string"), 2: F("readOnly", "bool"), 7: F("recursiveReadOnly", "string", "ptr"),
    3: F("mountPath", "string"), 4: F("subPath", "string"),
    5: F("mountPropagation", "string", "ptr"), 6: F("subPathExpr", "string"),
}
M["Volume"] = {1: F("name", "string"), 2: F("", "msg:VolumeSource", "inline")}
M["VolumeSource"] = {
    1: F("hostPath", "msg:HostPathVolumeSource"), 2: F("emptyDir", "msg:EmptyDirVolumeSource"),
    6: F("secret", "msg:SecretVolumeSource"),
    10: F("persistentVolumeClaim", "msg:PersistentVolumeClaimVolumeSource"),
    19: F("configMap", "msg:ConfigMapVolumeSource"),
}
M["HostPathVolumeSource"] = {1: F("path", "string"), 2: F("type", "string", "ptr")}
M["EmptyDirVolumeSource"] = {1: F("medium", "string"), 2: F("sizeLimit", "quantity")}
M["SecretVolumeSource"] = {1: F("secretName", "string"), 2: F("items", "msg:KeyToPath", "rep"),
                           3: F("defaultMode", "int", "ptr"), 4: F("optional", "bool", "ptr")}
M["ConfigMapVolumeSource"] = {1: F("", "msg:LocalObjectReference", "inline"),
                              2: F("items", "msg:KeyToPath", "rep"),
                              3: F("defaultMode", "int", "ptr"), 4: F("optional", "bool", "ptr")}
M["PersistentVolumeClaimVolumeSource"] = {1: F("claimName", "string"), 2: F("readOnly", "bool")}
M["KeyToPath"] = {1: F("key", "string"), 2: F("path", "string"), 3: F("mode", "int", "ptr")}

# apps/v1
M["Deployment"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("spec", "msg:DeploymentSpec"),
                   3: F("status", "msg:DeploymentStatus")}
M["DeploymentSpec"] = {
    1: F("replicas", "int", "ptr"), 2: F("selector", "msg:LabelSelector"),
    3: F("template", "msg:PodTemplateSpec"), 4: F("strategy", "msg:DeploymentStrategy"),
    5: F("minReadySeconds", "int"), 6: F("revisionHistoryLimit", "int", "ptr"),
    7: F("paused", "bool"), 9: F("progressDeadlineSeconds", "int", "ptr"),
}
M["DeploymentStrategy"] = {1: F("type", "string"),
                           2: F("rollingUpdate", "msg:RollingUpdateDeployment")}
M["RollingUpdateDeployment"] = {1: F("maxUnavailable", "intorstr"), 2: F("maxSurge", "intorstr")}
M["DeploymentStatus"] = {
    1: F("observedGeneration", "int"), 2: F("replicas", "int"), 3: F("updatedReplicas", "int"),
    7: F("readyReplicas", "int"), 4: F("availableReplicas", "int"),
    5: F("unavailableReplicas", "int"), 8: F("collisionCount", "int", "ptr"),
}

# batch/v1
M["Job"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("spec", "msg:JobSpec"),
            3: F("status", "msg:JobStatus")}
M["JobStatus"] = {
    1: F("conditions", "msg:JobCondition", "rep"), 2: F("startTime", "time"),
    3: F("completionTime", "time"), 4: F("active", "int"), 5: F("succeeded", "int"),
    6: F("failed", "int"), 11: F("terminating", "int", "ptr"), 7: F("completedIndexes", "string"),
    10: F("failedIndexes", "string", "ptr"),
    8: F("uncountedTerminatedPods", "msg:UncountedTerminatedPods"), 9: F("ready", "int", "ptr"),
}
M["JobCondition"] = {
    1: F("type", "string"), 2: F("status", "string"), 3: F("lastProbeTime", "time"),
    4: F("lastTransitionTime", "time"), 5: F("reason", "string"), 6: F("message", "string"),
}
M["UncountedTerminatedPods"] = {1: F("succeeded", "string", "rep"), 2: F("failed", "string", "rep")}
M["JobSpec"] = {
    1: F("parallelism", "int", "ptr"), 2: F("completions", "int", "ptr"),
    3: F("activeDeadlineSeconds", "int", "ptr"), 7: F("backoffLimit", "int", "ptr"),
    4: F("selector", "msg:LabelSelector"), 5: F("manualSelector", "bool", "ptr"),
    6: F("template", "msg:PodTemplateSpec"), 8: F("ttlSecondsAfterFinished", "int", "ptr"),
    9: F("completionMode", "string", "ptr"), 10: F("suspend", "bool", "ptr"),
}
M["CronJob"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("spec", "msg:CronJobSpec"),
                3: F("status", "msg:CronJobStatus")}
M["CronJobStatus"] = {1: F("active", "msg:ObjectReference", "rep"),
                      4: F("lastScheduleTime", "time"), 5: F("lastSuccessfulTime", "time")}
M["CronJobSpec"] = {
    1: F("schedule", "string"), 8: F("timeZone", "string", "ptr"),
    2: F("startingDeadlineSeconds", "int", "ptr"), 3: F("concurrencyPolicy", "string"),
    4: F("suspend", "bool", "ptr"), 5: F("jobTemplate", "msg:JobTemplateSpec"),
    6: F("successfulJobsHistoryLimit", "int", "ptr"), 7: F("failedJobsHistoryLimit", "int", "ptr"),
}
M["JobTemplateSpec"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("spec", "msg:JobSpec")}

# networking.k8s.io/v1
M["Ingress"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("spec", "msg:IngressSpec"),
                3: F("status", "msg:IngressStatus")}
M["IngressStatus"] = {1: F("loadBalancer", "msg:IngressLoadBalancerStatus")}
M["IngressLoadBalancerStatus"] = {1: F("ingress", "msg:IngressLoadBalancerIngress", "rep")}
M["IngressLoadBalancerIngress"] = {1: F("ip", "string"), 2: F("hostname", "string"),
                                   4: F("ports", "msg:PortStatus", "rep")}
M["IngressSpec"] = {
    4: F("ingressClassName", "string", "ptr"), 1: F("defaultBackend", "msg:IngressBackend"),
    2: F("tls", "msg:IngressTLS", "rep"), 3: F("rules", "msg:IngressRule", "rep"),
}
M["IngressBackend"] = {4: F("service", "msg:IngressServiceBackend")}
M["IngressServiceBackend"] = {1: F("name", "string"), 2: F("port", "msg:ServiceBackendPort")}
M["ServiceBackendPort"] = {1: F("name", "string"), 2: F("number", "int")}
M["IngressTLS"] = {1: F("hosts", "string", "rep"), 2: F("secretName", "string")}
M["IngressRule"] = {1: F("host", "string"), 2: F("", "msg:IngressRuleValue", "inline")}
M["IngressRuleValue"] = {1: F("http", "msg:HTTPIngressRuleValue")}
M["HTTPIngressRuleValue"] = {1: F("paths", "msg:HTTPIngressPath", "rep")}
M["HTTPIngressPath"] = {1: F("path", "string"), 3: F("pathType", "string", "ptr"),
                        2: F("backend", "msg:IngressBackend")}

# rbac.authorization.k8s.io/v1
M["Role"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("rules", "msg:PolicyRule", "rep")}
M["ClusterRole"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("rules", "msg:PolicyRule", "rep"),
                    3: F("aggregationRule", "msg:AggregationRule")}
M["AggregationRule"] = {1: F("clusterRoleSelectors", "msg:LabelSelector", "rep")}
M["PolicyRule"] = {
    1: F("verbs", "string", "rep"), 2: F("apiGroups", "string", "rep"),
    3: F("resources", "string", "rep"), 4: F("resourceNames", "string", "rep"),
    5: F("nonResourceURLs", "string", "rep"),
}
M["RoleBinding"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("subjects", "msg:Subject", "rep"),
                    3: F("roleRef", "msg:RoleRef")}
M["ClusterRoleBinding"] = M["RoleBinding"]
M["Subject"] = {1: F("kind", "string"), 2: F("apiGroup", "string"), 3: F("name", "string"),
                4: F("namespace", "string")}
M["RoleRef"] = {1: F("apiGroup", "string"), 2: F("kind", "string"), 3: F("name", "string")}

# coordination.k8s.io/v1
M["Lease"] = {1: F("metadata", "msg:ObjectMeta"), 2: F("spec", "msg:LeaseSpec")}
M["LeaseSpec"] = {
    1: F("holderIdentity", "string", "ptr"), 2: F("leaseDurationSeconds", "int", "ptr"),
    3: F("acquireTime", "microtime"), 4: F("renewTime", "microtime"),
    5: F("leaseTransitions", "int", "ptr"), 6: F("strategy", "string", "ptr"),
    7: F("preferredHolder", "string", "ptr"),
}

# meta/v1 request bodies
M["DeleteOptions"] = {
    1: F("gracePeriodSeconds", "int", "ptr"), 2: F("preconditions", "msg:Preconditions"),
    3: F("orphanDependents", "bool", "ptr"), 4: F("propagationPolicy", "string", "ptr"),
    5: F("dryRun", "string", "rep"),
}
M["Preconditions"] = {1: F("uid", "string", "ptr"), 2: F("resourceVersion", "string", "ptr")}

# (apiVersion, kind) -> message name for the objects a body may carry.
KINDS = {
    ("v1", "Namespace"): "Namespace", ("v1", "ConfigMap"): "ConfigMap",
    ("v1", "Secret"): "Secret", ("v1", "ServiceAccount"): "ServiceAccount",
    ("v1", "Service"): "Service", ("apps/v1", "Deployment"): "Deployment",
    ("batch/v1", "Job"): "Job", ("batch/v1", "CronJob"): "CronJob",
    ("networking.k8s.io/v1", "Ingress"): "Ingress",
    ("rbac.authorization.k8s.io/v1", "Role"): "Role",
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): "ClusterRole",
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): "RoleBinding",
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): "ClusterRoleBinding",
    ("coordination.k8s.io/v1", "Lease"): "Lease",
    ("v1", "DeleteOptions"): "DeleteOptions",
    ("meta.k8s.io/v1", "DeleteOptions"): "DeleteOptions",
}


# -- wire format ----------------------------------------------------------

def _varint(buf, i):
    shift = 0
    result = 0
    while True:
        if i >= len(buf):
            raise ProtobufError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, i
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def _fields(buf):
    """Yields (field number, wire type, value) for each field of a message;
    value is an int for varint/fixed and a memoryview for length-delimited."""
    i = 0
    n = len(buf)
    while i < n:
        key, i = _varint(buf, i)
        num, wt = key >> 3, key & 7
        if num == 0:
            raise ProtobufError("field number 0")
        if wt == 0:
            v, i = _varint(buf, i)
        elif wt == 2:
            ln, i = _varint(buf, i)
            if i + ln > n:
                raise ProtobufError("truncated length-delimited field %d" % num)
            v = buf[i:i + ln]
            i += ln
        elif wt == 1:
            if i + 8 > n:
                raise ProtobufError("truncated fixed64")
            v = int.from_bytes(buf[i:i + 8], "little")
            i += 8
        elif wt == 5:
            if i + 4 > n:
                raise ProtobufError("truncated fixed32")
            v = int.from_bytes(buf[i:i + 4], "little")
            i += 4
        else:
            raise ProtobufError("unsupported wire type %d" % wt)
        yield num, wt, v


def _signed(v):
    return v - (1 << 64) if v >= 1 << 63 else v


def _is_zero(wt, v):
    return (wt == 2 and len(v) == 0) or (wt != 2 and v == 0)


def _fmt_time(seconds, nanos=0, micro=False):
    t = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)
    if micro:
        return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (nanos // 1000)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _scalar(typ, wt, v, where):
    if typ in ("string", "bytes", "quantity", "rawjson", "time", "microtime", "intorstr") \
            or typ.startswith("msg:"):
        if wt != 2:
            raise ProtobufError("%s: wire type %d for a length-delimited field" % (where, wt))
    elif wt == 2:
        if typ in ("int", "bool"):
            return None  # packed repeated: handled by the caller
        raise ProtobufError("%s: unexpected length-delimited value" % where)
    if typ == "string":
        try:
            return bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            raise ProtobufError("%s: invalid UTF-8" % where) from None
    if typ == "bytes":
        return base64.b64encode(bytes(v)).decode("ascii")
    if typ == "int":
        return _signed(v)
    if typ == "bool":
        return bool(v)
    if typ == "quantity":
        q = _message(v, {1: F("string", "string")}, where)
        return q.get("string", "0")
    if typ == "rawjson":
        try:
            return json.loads(bytes(v).decode("utf-8")) if len(v) else {}
        except ValueError:
            raise ProtobufError("%s: raw field is not JSON" % where) from None
    if typ in ("time", "microtime"):
        secs = nanos = 0
        for num, fwt, fv in _fields(v):
            if num == 1 and fwt == 0:
                secs = _signed(fv)
            elif num == 2 and fwt == 0:
                nanos = _signed(fv)
        if secs == 0 and nanos == 0:
            return None
        return _fmt_time(secs, nanos, typ == "microtime")
    if typ == "intorstr":
        kind = 0
        ival = 0
        sval = ""
        for num, fwt, fv in _fields(v):
            if num == 1 and fwt == 0:
                kind = fv
            elif num == 2 and fwt == 0:
                ival = _signed(fv)
            elif num == 3 and fwt == 2:
                sval = bytes(fv).decode("utf-8")
        return sval if kind == 1 else ival
    if typ.startswith("msg:"):
        name = typ[4:]
        return _message(v, M[name], where + "." + name)
    raise ProtobufError("%s: unknown type %s" % (where, typ))


def _map_entry(v, ktyp, vtyp, where):
    key = ""
    val = None
    for num, wt, fv in _fields(v):
        if num == 1:
            key = _scalar(ktyp, wt, fv, where)
        elif num == 2:
            val = _scalar(vtyp, wt, fv, where)
    if val is None:
        val = {"string": "", "bytes": "", "int": 0, "bool": False,
               "quantity": "0"}.get(vtyp, {})
    return key, val


def _message(buf, spec, where):
    out = {}
    for num, wt, v in _fields(buf):
        f = spec.get(num)
        if f is None:
            if _is_zero(wt, v):
                continue
            raise ProtobufError(
                "%s: field %d is not supported by the fake API server's protobuf decoder "
                "(send JSON instead)" % (where, num))
        name, typ, flags = f
        fwhere = "%s.%s" % (where, name or "<inline>")
        if typ.startswith("map:"):
            _, ktyp, vtyp = typ.split(":", 2)
            k, val = _map_entry(v, ktyp, vtyp, fwhere)
            out.setdefault(name, {})[k] = val
            continue
        if "rep" in flags:
            if wt == 2 and typ in ("int", "bool"):  # packed
                j = 0
                while j < len(v):
                    x, j = _varint(v, j)
                    out.setdefault(name, []).append(_signed(x) if typ == "int" else bool(x))
                continue
            out.setdefault(name, []).append(_scalar(typ, wt, v, fwhere))
            continue
        val = _scalar(typ, wt, v, fwhere)
        if "inline" in flags:
            out.update(val)
            continue
        if val is None:
            out.pop(name, None)
            continue
        if "ptr" not in flags and typ in ("string", "bytes", "int", "bool") \
                and val in ("", 0, False) and val is not True:
            out.pop(name, None)
            continue
        out[name] = val
    return out


def decode_unknown(body):
    """Splits an enveloped body into (apiVersion, kind, raw bytes)."""
    if not body.startswith(MAGIC):
        raise ProtobufError("protobuf body does not start with the k8s magic prefix")
    buf = memoryview(body)[len(MAGIC):]
    api_version = kind = ""
    raw = b""
    for num, wt, v in _fields(buf):
        if num == 1 and wt == 2:
            for n2, w2, v2 in _fields(v):
                if n2 == 1 and w2 == 2:
                    api_version = bytes(v2).decode("utf-8")
                elif n2 == 2 and w2 == 2:
                    kind = bytes(v2).decode("utf-8")
        elif num == 2 and wt == 2:
            raw = v
        elif num == 3 and wt == 2 and len(v):
            raise ProtobufError("protobuf contentEncoding %r is not supported" % bytes(v))
    return api_version, kind, raw


def decode(body):
    """Decodes a `application/vnd.kubernetes.protobuf` body into a dict shaped
    as the JSON form of the object. Raises ProtobufError with a message that
    names the kind or field it cannot read."""
    api_version, kind, raw = decode_unknown(body)
    name = KINDS.get((api_version, kind))
    if name is None:
        raise ProtobufError(
            "protobuf bodies of kind %s (%s) are not supported by the fake API server "
            "(send JSON instead)" % (kind or "<none>", api_version or "<none>"))
    obj = {"kind": kind, "apiVersion": api_version}
    obj.update(_message(raw, M[name], kind))
    return obj
