using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Infrastructure;

/// <summary>A real server program (redis-server, mosquitto) on a free loopback port, killed on dispose.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>redis-server with no persistence.</summary>
    public static Task<ServerProcess> RedisAsync(int? port = null) =>
        StartAsync("redis-server", port => ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"], port);

    /// <summary>mosquitto with anonymous clients on one loopback listener (its configuration in <paramref name="folder"/>).</summary>
    public static Task<ServerProcess> MosquittoAsync(TempFolder folder) => StartAsync(File.Exists("/usr/sbin/mosquitto") ? "/usr/sbin/mosquitto" : "mosquitto", port =>
    {
        var config = Path.Combine(folder.Path, "mosquitto.conf");
        File.WriteAllText(config, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n");
        return ["-c", config];
    });

    /// <summary>dnsmasq answering from its own records alone (no upstream resolvers, no hosts file), UDP and TCP.</summary>
    public static Task<ServerProcess> DnsmasqAsync(params string[] records) =>
        StartAsync(File.Exists("/usr/sbin/dnsmasq") ? "/usr/sbin/dnsmasq" : "dnsmasq", port =>
            ["--keep-in-foreground", "--conf-file=/dev/null", $"--port={port}", "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
             .. records.Select(r => $"--address={r}")]);

    /// <summary>
    /// pymodbus's Modbus/TCP server (Debian's python3-pymodbus, under the system Python), unit 1, holding
    /// registers from address 0 holding <paramref name="registers"/> then zeros up to 100; its script in <paramref name="folder"/>.
    /// </summary>
    public static Task<ServerProcess> PymodbusAsync(TempFolder folder, params int[] registers) =>
        StartAsync(File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3", port =>
        {
            var script = Path.Combine(folder.Path, "modbus_server.py");
            File.WriteAllLines(script,
            [
                "import asyncio",
                "from pymodbus.server import StartAsyncTcpServer",
                "from pymodbus.datastore import ModbusSequentialDataBlock, ModbusSlaveContext, ModbusServerContext",
                $"values = [{string.Join(", ", registers)}]",
                "store = ModbusSlaveContext(hr=ModbusSequentialDataBlock(0, values + [0] * (100 - len(values))), zero_mode=True)",
                $"asyncio.run(StartAsyncTcpServer(context=ModbusServerContext(slaves=store, single=True), address=(\"127.0.0.1\", {port})))",
            ]);
            return [script];
        });

    /// <summary>HAProxy in TCP mode on a loopback port, round robin over <paramref name="backends"/> (host:port), checking each every 300 ms (its configuration in <paramref name="folder"/>).</summary>
    public static Task<ServerProcess> HaproxyAsync(TempFolder folder, params string[] backends) =>
        StartAsync(File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : "haproxy", port =>
        {
            var config = Path.Combine(folder.Path, "haproxy.cfg");
            File.WriteAllLines(config,
            [
                "defaults", "  mode tcp", "  timeout connect 2s", "  timeout client 60s", "  timeout server 60s",
                "frontend gateways", $"  bind 127.0.0.1:{port}", "  default_backend nodes",
                "backend nodes", "  balance roundrobin", "  default-server check inter 300ms fall 1 rise 2",
                .. backends.Select((b, i) => $"  server node{i + 1} {b}"),
            ]);
            return ["-f", config, "-db"];
        });

    /// <summary>A loopback TCP port nobody holds right now (for a server that must be told its port before it binds).</summary>
    public static int FreeTcpPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    public static async Task<ServerProcess> StartAsync(string program, Func<int, string[]> arguments, int? onPort = null)
    {
        var port = onPort ?? FreeTcpPort();

        var info = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var arg in arguments(port))
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, port);
        await Timeouts.Eventually(async () =>
        {
            Assert.False(process.HasExited, $"{program} exited at start");
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port);
                return (object)true;
            }
            catch (SocketException)
            {
                return null;
            }
        }, $"{program} listening");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync().Within();
        }

        _process.Dispose();
    }
}
