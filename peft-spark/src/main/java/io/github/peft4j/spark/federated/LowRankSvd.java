package io.github.peft4j.spark.federated;

/**
 * The best rank-r factorisation of a product {@code B·A} (B: out×R, A: R×in), in double
 * precision, without forming the out×in matrix: QR of B and of Aᵀ, then a one-sided Jacobi SVD
 * of the small R×R core. Costs O((out + in)·R²), so truncating a stack of site adapters is cheap
 * even for 4096-wide layers.
 *
 * <pre>{@code
 * LowRankSvd.Factors f = LowRankSvd.truncate(b, a, 8);   // f.b() out×8, f.a() 8×in, f.b()·f.a() ≈ b·a
 * }</pre>
 */
public final class LowRankSvd {

    private static final int MAX_SWEEPS = 60;

    private LowRankSvd() {}

    /**
     * @param b out×r factor
     * @param a r×in factor
     * @param singularValues the kept singular values, largest first
     * @param discardedEnergy the squared Frobenius norm of what truncation dropped (Σ of dropped σ²)
     */
    public record Factors(double[][] b, double[][] a, double[] singularValues, double discardedEnergy) {}

    /**
     * @param b out×R
     * @param a R×in
     * @param rank the rank to keep (zero-padded when {@code B·A} has lower rank)
     * @return factors whose product is the best rank-{@code rank} approximation of {@code b·a},
     *     the singular values split evenly between them (√σ each)
     */
    public static Factors truncate(double[][] b, double[][] a, int rank) {
        int out = b.length;
        int big = a.length;
        int in = a[0].length;
        double[][] qb = new double[out][big];
        double[][] rb = qr(b, qb);
        double[][] qa = new double[in][big];
        double[][] ra = qr(transpose(a), qa);
        double[][] core = multiply(rb, transpose(ra));
        double[][] v = identity(big);
        double[] sigma = jacobi(core, v); // core now holds U·Σ column-wise
        Integer[] order = new Integer[big];
        for (int i = 0; i < big; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(sigma[y], sigma[x]));
        double[][] nb = new double[out][rank];
        double[][] na = new double[rank][in];
        double[] kept = new double[rank];
        double dropped = 0;
        for (int k = 0; k < big; k++) {
            int j = order[k];
            if (k >= rank) {
                dropped += sigma[j] * sigma[j];
                continue;
            }
            kept[k] = sigma[j];
            double root = Math.sqrt(sigma[j]);
            for (int i = 0; i < out; i++) {
                double u = 0;
                for (int m = 0; m < big; m++) {
                    u += qb[i][m] * (sigma[j] == 0 ? 0 : core[m][j] / sigma[j]);
                }
                nb[i][k] = u * root;
            }
            for (int i = 0; i < in; i++) {
                double w = 0;
                for (int m = 0; m < big; m++) {
                    w += qa[i][m] * v[m][j];
                }
                na[k][i] = w * root;
            }
        }
        return new Factors(nb, na, kept, dropped);
    }

    /** Modified Gram-Schmidt, twice (re-orthogonalised); q receives the orthonormal columns, zero for dependent ones. */
    static double[][] qr(double[][] m, double[][] q) {
        int rows = m.length;
        int cols = m[0].length;
        double[][] r = new double[cols][cols];
        for (int j = 0; j < cols; j++) {
            double[] v = new double[rows];
            for (int i = 0; i < rows; i++) {
                v[i] = m[i][j];
            }
            double norm0 = norm(v);
            for (int pass = 0; pass < 2; pass++) {
                for (int k = 0; k < j; k++) {
                    double dot = 0;
                    for (int i = 0; i < rows; i++) {
                        dot += q[i][k] * v[i];
                    }
                    r[k][j] += dot;
                    for (int i = 0; i < rows; i++) {
                        v[i] -= dot * q[i][k];
                    }
                }
            }
            double n = norm(v);
            if (n > 1e-12 * Math.max(norm0, 1e-300)) {
                r[j][j] = n;
                for (int i = 0; i < rows; i++) {
                    q[i][j] = v[i] / n;
                }
            }
        }
        return r;
    }

    /** One-sided Jacobi on the columns of m (square); v accumulates the rotations; returns column norms. */
    static double[] jacobi(double[][] m, double[][] v) {
        int n = m[0].length;
        int rows = m.length;
        for (int sweep = 0; sweep < MAX_SWEEPS; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double alpha = 0;
                    double beta = 0;
                    double gamma = 0;
                    for (int i = 0; i < rows; i++) {
                        alpha += m[i][p] * m[i][p];
                        beta += m[i][q] * m[i][q];
                        gamma += m[i][p] * m[i][q];
                    }
                    if (Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta) || gamma == 0) {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta == 0 ? 1 : zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = c * t;
                    rotate(m, p, q, c, s);
                    rotate(v, p, q, c, s);
                }
            }
            if (!rotated) {
                break;
            }
        }
        double[] sigma = new double[n];
        for (int j = 0; j < n; j++) {
            double s = 0;
            for (double[] row : m) {
                s += row[j] * row[j];
            }
            sigma[j] = Math.sqrt(s);
        }
        return sigma;
    }

    private static void rotate(double[][] m, int p, int q, double c, double s) {
        for (double[] row : m) {
            double x = row[p];
            double y = row[q];
            row[p] = c * x - s * y;
            row[q] = s * x + c * y;
        }
    }

    static double[][] multiply(double[][] x, double[][] y) {
        int n = x.length;
        int k = y.length;
        int m = y[0].length;
        double[][] out = new double[n][m];
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < k; l++) {
                double xv = x[i][l];
                if (xv == 0) {
                    continue;
                }
                for (int j = 0; j < m; j++) {
                    out[i][j] += xv * y[l][j];
                }
            }
        }
        return out;
    }

    static double[][] transpose(double[][] x) {
        double[][] out = new double[x[0].length][x.length];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x[0].length; j++) {
                out[j][i] = x[i][j];
            }
        }
        return out;
    }

    private static double[][] identity(int n) {
        double[][] out = new double[n][n];
        for (int i = 0; i < n; i++) {
            out[i][i] = 1;
        }
        return out;
    }

    private static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
