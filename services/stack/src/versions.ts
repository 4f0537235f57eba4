/** Pinned versions of the servers the local stack provisions. */
export const VERSIONS = {
  kafka: '3.9.2',
  apicurio: '3.3.3',
  ferretdb: 'v1.24.0',
  /** deploy/hapi-fhir builds this HAPI FHIR release (its pom.xml says the same). */
  hapiFhir: '8.8.0',
  /** The executable jar io.zipkin:zipkin-server:<version>:jar:exec; the images use the same. */
  zipkin: '3.6.1',
  /**
   * Debian 12's packages of Prometheus and Alertmanager, which the local stack runs; docker-compose
   * and the containers provider run the same versions' images, so the alert rules
   * (deploy/prometheus) are read by one Prometheus everywhere.
   */
  prometheus: '2.42.0',
  alertmanager: '0.25.0',
  postgresMajor: 15,
  /** Kafka 3.9 runs on Java 17 to 23. */
  kafkaJava: { min: 17, max: 23 },
  /** Apicurio Registry 3.3 is compiled for Java 21. */
  registryJava: { min: 21, max: Number.POSITIVE_INFINITY },
  /** HAPI FHIR 8 needs Java 17. */
  fhirJava: { min: 17, max: Number.POSITIVE_INFINITY },
  /** Zipkin 3 needs Java 17. */
  zipkinJava: { min: 17, max: Number.POSITIVE_INFINITY },
} as const;
