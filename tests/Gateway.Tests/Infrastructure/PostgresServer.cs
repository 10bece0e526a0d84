using System.Diagnostics;

namespace Gateway.Tests.Infrastructure;

/// <summary>
/// Debian's PostgreSQL in a temporary folder on a free loopback port: <c>initdb</c>, then <c>pg_ctl start</c>,
/// as the <c>postgres</c> user when the tests run as root (PostgreSQL refuses to run as root). Stopped and
/// removed on dispose; <see cref="StopAsync"/> and <see cref="StartAsync()"/> make an outage.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _folder;

    private PostgresServer(string folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres";

    private string Data => Path.Combine(_folder, "data");

    /// <summary>The newest installed PostgreSQL's programs, or null.</summary>
    public static string? BinDirectory =>
        Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").OrderByDescending(d => d, StringComparer.Ordinal)
                .Select(d => Path.Combine(d, "bin")).FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            : null;

    private static bool IsRoot => Environment.UserName == "root";

    public static async Task<PostgresServer> StartNewAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), "gateway-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(folder);
        if (IsRoot)
        {
            await RunAsync("chown", "postgres", folder);
        }

        var server = new PostgresServer(folder, ServerProcess.FreeTcpPort());
        await server.AsPostgresAsync("initdb", "-D", server.Data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync");
        await server.StartAsync();
        return server;
    }

    public Task StartAsync() =>
        AsPostgresAsync("pg_ctl", "-D", Data, "-l", Path.Combine(_folder, "log"), "-w", "-t", "30", "-o",
            $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off", "start");

    /// <summary>Stops at once (no checkpoint), as a crash would.</summary>
    public Task StopAsync() => AsPostgresAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_folder, recursive: true);
    }

    private Task AsPostgresAsync(string program, params string[] args)
    {
        var path = Path.Combine(BinDirectory ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql)."), program);
        return IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. args]) : RunAsync(path, args);
    }

    private static async Task RunAsync(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {await error}{await output}");
        }
    }
}
