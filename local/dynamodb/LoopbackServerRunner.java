import java.lang.reflect.Field;
import java.util.Arrays;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local served on one address only (the local runtime passes 127.0.0.1).
 *
 * Why this exists: DynamoDBLocal.jar's own main (ServerRunner) has no bind option, and its
 * DynamoDBProxyServer builds Jetty with `new Server(port)`, which listens on every interface:
 * anyone on the network could read and change the pending messages. So this starts the same
 * embedded server AWS documents for tests (ServerRunner.createServerFromCommandLineArgs, with
 * DynamoDB Local's own command-line options), and before anything is bound sets the host of
 * its Jetty connector. Jetty binds in start(), so nothing ever listens on another address.
 *
 * Compiled once with the JVM's own compiler (the jdk.compiler module, which Debian's
 * openjdk-17-jre-headless has) by loopback-launcher.ts, and run with DynamoDBLocal.jar on the
 * class path (its manifest brings DynamoDBLocal_lib/ along):
 *
 *   java -cp DynamoDBLocal.jar:<compiled> LoopbackServerRunner 127.0.0.1 -port 8000 -inMemory ...
 *
 * or, when it cannot be compiled, with Java's single-file source launcher (JEP 330):
 *
 *   java -cp DynamoDBLocal.jar LoopbackServerRunner.java 127.0.0.1 -port 8000 -inMemory ...
 *
 * Exit codes: 0 after a normal stop, 2 for bad arguments, 3 when the server's shape is not
 * the one this was written for (a newer jar: better to refuse than to listen everywhere), 1
 * when it cannot start (e.g. the port is taken). Started by local/dynamodb/dynamodb-local-process.ts.
 */
public class LoopbackServerRunner {
    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LoopbackServerRunner <host> [DynamoDB Local options]");
            System.exit(2);
        }
        String host = args[0];
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(Arrays.copyOfRange(args, 1, args.length));

        // DynamoDBProxyServer keeps its Jetty Server in a private field and offers no way to
        // set the host: this one field is the only thing used that AWS does not document.
        Server jetty;
        try {
            Field field = DynamoDBProxyServer.class.getDeclaredField("server");
            field.setAccessible(true);
            jetty = (Server) field.get(proxy);
        } catch (ReflectiveOperationException | ClassCastException e) {
            System.err.println("qosgate: this DynamoDBLocal.jar has no Jetty server field to bind to " + host + " (" + e + "); refusing to listen on every interface");
            System.exit(3);
            return;
        }
        Connector[] connectors = jetty.getConnectors();
        if (connectors.length == 0) {
            System.err.println("qosgate: DynamoDB Local's Jetty server has no connector; refusing to start");
            System.exit(3);
        }
        for (Connector connector : connectors) {
            if (!(connector instanceof ServerConnector)) {
                System.err.println("qosgate: unexpected Jetty connector " + connector.getClass().getName() + "; refusing to listen on every interface");
                System.exit(3);
            }
            ((ServerConnector) connector).setHost(host);
        }

        try {
            // safeStart, not start: start() only prints a bind failure and leaves the JVM idle.
            proxy.safeStart();
        } catch (Exception e) {
            System.err.println("qosgate: DynamoDB Local could not listen on " + host + ": " + e.getMessage());
            System.exit(1);
        }
        for (Connector connector : connectors) {
            ServerConnector bound = (ServerConnector) connector;
            System.out.println("DynamoDB Local listening on " + bound.getHost() + ":" + bound.getLocalPort());
        }
        proxy.join();
    }
}
