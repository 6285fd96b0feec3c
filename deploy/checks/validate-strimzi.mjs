// Validates Strimzi custom resources against Strimzi's CRD schemas (kubernetes-models).
// Reads a JSON array of resources on stdin; prints one JSON line per resource: kind, name, errors.
import { readFileSync } from "node:fs";

const resources = JSON.parse(readFileSync(0, "utf8"));
for (const resource of resources) {
  const [group, version] = resource.apiVersion.split("/");
  const module = await import(
    `@kubernetes-models/strimzi-kafka-operator/${group}/${version}/${resource.kind}`
  );
  const Model = module[resource.kind];
  let errors = [];
  try {
    new Model(resource).validate();
  } catch (error) {
    errors = (error.errors ?? [{ message: String(error) }]).map(
      (e) => `${e.instancePath ?? ""} ${e.message ?? ""}`.trim(),
    );
  }
  console.log(JSON.stringify({ kind: resource.kind, name: resource.metadata?.name, errors }));
}
