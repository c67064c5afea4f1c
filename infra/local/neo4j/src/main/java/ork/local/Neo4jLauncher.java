package ork.local;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.configuration.ssl.ClientAuth;
import org.neo4j.configuration.ssl.SslPolicyConfig;
import org.neo4j.configuration.ssl.SslPolicyScope;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * Runs a Neo4j 5 Community DBMS embedded, for local development and tests (started by
 * infra/local/neo4j.sh). Bolt listens on 127.0.0.1 only, with authentication on and the bolt
 * SSL policy enabled at tls_level OPTIONAL: the one Bolt port accepts plain and TLS clients.
 *
 * <p>Settings come from system properties (set by neo4j.sh):
 * ork.neo4j.home (DBMS home: data/ and logs/), ork.neo4j.bolt.port, ork.neo4j.pagecache
 * (e.g. 256m), ork.neo4j.tls.dir (bolt policy directory holding private.key, public.crt,
 * trusted/ and revoked/; TLS is off when unset). The password of user neo4j is read from the
 * environment variable ORK_NEO4J_PASSWORD, so that it does not show on the command line.
 *
 * <p>Prints {@value #READY} on stdout once Bolt is up and the password is set; shuts the DBMS
 * down cleanly on SIGTERM / SIGINT.
 */
public final class Neo4jLauncher {
    static final String READY = "ork-neo4j: READY";

    public static void main(String[] args) throws Exception {
        Path home = Path.of(required("ork.neo4j.home")).toAbsolutePath();
        int port = Integer.parseInt(System.getProperty("ork.neo4j.bolt.port", "7687"));
        long pageCache = ByteUnit.parse(System.getProperty("ork.neo4j.pagecache", "256m"));
        String tlsDir = System.getProperty("ork.neo4j.tls.dir", "");
        String password = System.getenv("ORK_NEO4J_PASSWORD");
        if (password == null || password.length() < 8) {
            fail("ORK_NEO4J_PASSWORD must be set, with at least 8 characters");
        }
        Files.createDirectories(home);

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setUserLogProvider(new Log4jLogProvider(System.out))
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                // No lockout after failed logins: the tests try wrong passwords on purpose,
                // and a locked user would fail the tests running beside them.
                .setConfig(GraphDatabaseSettings.auth_max_failed_attempts, 0)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                // 256 MiB transaction log files are otherwise allocated up front.
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress("127.0.0.1"))
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false);
        String tlsLevel = "DISABLED";
        if (!tlsDir.isEmpty()) {
            Path dir = Path.of(tlsDir).toAbsolutePath();
            SslPolicyConfig bolt = SslPolicyConfig.forScope(SslPolicyScope.BOLT);
            builder.setConfig(bolt.enabled, true)
                    .setConfig(bolt.base_directory, dir)
                    .setConfig(bolt.private_key, dir.resolve("private.key"))
                    .setConfig(bolt.public_certificate, dir.resolve("public.crt"))
                    .setConfig(bolt.trusted_dir, dir.resolve("trusted"))
                    .setConfig(bolt.revoked_dir, dir.resolve("revoked"))
                    .setConfig(bolt.client_auth, ClientAuth.NONE)
                    .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.OPTIONAL);
            tlsLevel = "OPTIONAL";
        } else {
            builder.setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED);
        }

        DatabaseManagementService dbms = builder.build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("ork-neo4j: shutting down");
            try {
                dbms.shutdown();
                System.out.println("ork-neo4j: stopped");
            } catch (Throwable e) {
                System.out.println("ork-neo4j: shutdown failed: " + e);
            } finally {
                System.out.flush();
                stopped.countDown();
            }
        }, "ork-neo4j-shutdown"));

        GraphDatabaseService system = dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME);
        setPassword(system, password);
        String version = "?";
        String edition = "?";
        for (Map<String, Object> row : system.executeTransactionally(
                "CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition",
                Map.of(), result -> result.stream().toList())) {
            if ("Neo4j Kernel".equals(row.get("name"))) {
                version = String.valueOf(((List<?>) row.get("versions")).get(0));
                edition = String.valueOf(row.get("edition"));
            }
        }
        System.out.println(READY + ": Neo4j " + version + " " + edition + ", bolt 127.0.0.1:" + port
                + " (tls_level " + tlsLevel + "), home " + home);
        System.out.flush();
        stopped.await();
    }

    /** Sets the password of user neo4j, marking it as not needing a change at first login. */
    private static void setPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (RuntimeException e) {
            // Neo4j refuses to "change" a password to its current value: it is already set.
            if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
                throw e;
            }
            system.executeTransactionally("ALTER USER neo4j SET PASSWORD CHANGE NOT REQUIRED");
        }
    }

    private static String required(String property) {
        String value = System.getProperty(property);
        if (value == null || value.isEmpty()) {
            fail("system property " + property + " is not set");
        }
        return value;
    }

    private static void fail(String message) {
        System.err.println("ork-neo4j: " + message);
        System.exit(2);
    }
}
