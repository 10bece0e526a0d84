using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Tls;

/// <summary>
/// The certificate authority that signs the leaf certificates TLS-intercepting listeners present. The
/// user's own (<c>Gateway:Tls:CaCertificatePath</c>, a PEM with the certificate and its key or a PKCS#12;
/// <c>CaKeyPath</c> for a separate PEM key, <c>CaPassword</c> when encrypted), or one made on first start
/// (ECDSA P-256, ten years) and kept in the data folder beside the capture store: the certificate in
/// <c>gateway-ca.pem</c>, its key in <c>gateway-ca.key</c>, readable by the owner only. Its key never
/// leaves this class except to sign.
/// </summary>
internal sealed class GatewayCa(IOptions<GatewayOptions> options, Capture.ICaptureStore store, ILogger<GatewayCa> logger)
{
    public const string CertificateFile = "gateway-ca.pem";
    public const string KeyFile = "gateway-ca.key";

    private readonly Lazy<X509Certificate2> _certificate = new(() => Load(options.Value.Tls, store.Location, logger));

    /// <summary>The CA with its private key (for signing leaves only).</summary>
    public X509Certificate2 Certificate => _certificate.Value;

    /// <summary>The CA certificate, PEM (no key).</summary>
    public string Pem => Certificate.ExportCertificatePem();

    /// <summary>The CA certificate, DER (no key).</summary>
    public byte[] Der => Certificate.Export(X509ContentType.Cert);

    public string Fingerprint => Listeners.TlsCertificates.Fingerprint(Certificate);

    private static X509Certificate2 Load(TlsOptions tls, string captureLocation, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(tls.CaCertificatePath))
        {
            var own = LoadOwn(tls);
            if (!own.HasPrivateKey)
            {
                throw new InvalidOperationException($"Gateway:Tls:CaCertificatePath '{tls.CaCertificatePath}' holds no private key: give it in the same PEM, or in Gateway:Tls:CaKeyPath.");
            }

            GatewayCaLog.Loaded(logger, tls.CaCertificatePath, Listeners.TlsCertificates.Fingerprint(own));
            return own;
        }

        var folder = Path.GetDirectoryName(captureLocation)!;
        var certificatePath = Path.Combine(folder, CertificateFile);
        var keyPath = Path.Combine(folder, KeyFile);
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            using var kept = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            var loaded = X509CertificateLoader.LoadPkcs12(kept.Export(X509ContentType.Pkcs12), null);
            GatewayCaLog.Loaded(logger, certificatePath, Listeners.TlsCertificates.Fingerprint(loaded));
            return loaded;
        }

        Directory.CreateDirectory(folder);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=Socket Gateway CA ({Environment.MachineName}), O=Socket Gateway", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var made = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        // The key first: an empty file made readable by the owner only, then written; then the certificate.
        File.WriteAllText(keyPath, "");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());

        File.WriteAllText(certificatePath, made.ExportCertificatePem());
        var created = X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
        GatewayCaLog.Created(logger, certificatePath, Listeners.TlsCertificates.Fingerprint(created));
        return created;
    }

    private static X509Certificate2 LoadOwn(TlsOptions tls)
    {
        var path = tls.CaCertificatePath!;
        if (!Listeners.TlsCertificates.IsRegularFile(path))
        {
            throw new InvalidOperationException($"Gateway:Tls:CaCertificatePath '{path}' is not a readable regular file.");
        }

        if (Path.GetExtension(path).ToLowerInvariant() is ".p12" or ".pfx")
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, tls.CaPassword);
        }

        var keyPath = string.IsNullOrWhiteSpace(tls.CaKeyPath) ? null : tls.CaKeyPath;
        using var pem = string.IsNullOrEmpty(tls.CaPassword)
            ? X509Certificate2.CreateFromPemFile(path, keyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(path, tls.CaPassword, keyPath);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}

internal static partial class GatewayCaLog
{
    [LoggerMessage(EventId = 801, Level = LogLevel.Information, Message = "Gateway CA created in {Path} (SHA-256 {Fingerprint}); clients trust it from GET /api/tls/ca.pem")]
    public static partial void Created(ILogger logger, string path, string fingerprint);

    [LoggerMessage(EventId = 802, Level = LogLevel.Information, Message = "Gateway CA loaded from {Path} (SHA-256 {Fingerprint})")]
    public static partial void Loaded(ILogger logger, string path, string fingerprint);
}
