package dev.cdc.fhir;

import ca.uhn.fhir.rest.server.RestfulServer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * A HAPI FHIR R4 server at http://FHIR_HOST:FHIR_PORT/fhir (default 127.0.0.1:8080), its data in
 * the H2 database FHIR_DB_URL (FhirConfig). The local stack starts it and waits for /fhir/metadata.
 */
public final class FhirServer {
	private FhirServer() {}

	public static void main(String[] args) throws Exception {
		long started = System.nanoTime();
		String host = System.getenv().getOrDefault("FHIR_HOST", "127.0.0.1");
		int port = Integer.parseInt(System.getenv().getOrDefault("FHIR_PORT", "8080"));

		AnnotationConfigApplicationContext spring = new AnnotationConfigApplicationContext(FhirConfig.class);
		spring.registerShutdownHook();

		Server jetty = new Server();
		ServerConnector connector = new ServerConnector(jetty);
		connector.setHost(host);
		connector.setPort(port);
		jetty.addConnector(connector);
		ServletContextHandler context = new ServletContextHandler();
		context.setContextPath("/");
		ServletHolder fhir = new ServletHolder("fhir", spring.getBean(RestfulServer.class));
		fhir.setInitOrder(1);
		context.addServlet(fhir, "/fhir/*");
		jetty.setHandler(context);
		jetty.setStopAtShutdown(true);
		jetty.start();
		System.out.printf(
				"HAPI FHIR R4 ready at http://%s:%d/fhir (database %s) after %d ms%n",
				host, port, FhirConfig.databaseUrl(), (System.nanoTime() - started) / 1_000_000);
		jetty.join();
	}
}
