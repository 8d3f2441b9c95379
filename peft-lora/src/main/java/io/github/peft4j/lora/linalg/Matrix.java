package io.github.peft4j.lora.linalg;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * A dense double-precision matrix for the decompositions LoRA initialisation and adapter combination
 * need and DJL does not offer (QR, SVD). Row-major; small and deliberately plain: weight matrices of
 * a few thousand rows are the largest it sees. Shared by initialisation (PiSSA, OLoRA) and adapter
 * combination; not a general linear-algebra API.
 *
 * <pre>{@code
 * Matrix w = Matrix.of(weight);          // a copy in F64
 * Matrix.Svd svd = w.svd();              // w = u · diag(s) · vt
 * NDArray back = w.toNDArray(manager, DataType.FLOAT32);
 * }</pre>
 */
public final class Matrix {

    /** The number of rows. */
    public final int rows;
    /** The number of columns. */
    public final int cols;
    /** Row-major values. */
    final double[] a;

    public Matrix(int rows, int cols) {
        this(rows, cols, new double[Math.multiplyExact(rows, cols)]);
    }

    public Matrix(int rows, int cols, double[] values) {
        if (values.length != (long) rows * cols) {
            throw new IllegalArgumentException(values.length + " values do not fill " + rows + "x" + cols);
        }
        this.rows = rows;
        this.cols = cols;
        this.a = values;
    }

    /**
     * @param array a 2-D array
     * @return a copy of its values
     */
    public static Matrix of(NDArray array) {
        Shape s = array.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("expected a matrix, got shape " + s);
        }
        try (NDArray d = array.toType(DataType.FLOAT64, true)) {
            return new Matrix(Math.toIntExact(s.get(0)), Math.toIntExact(s.get(1)), d.toDoubleArray());
        }
    }

    /** @return the row-major values (the matrix's own array, not a copy) */
    public double[] values() {
        return a;
    }

    /**
     * @param manager the manager the array attaches to
     * @param type its data type
     * @return a new array with these values
     */
    public NDArray toNDArray(NDManager manager, DataType type) {
        try (NDArray d = manager.create(a, new Shape(rows, cols))) {
            return d.toType(type, true);
        }
    }

    public double get(int i, int j) {
        return a[i * cols + j];
    }

    public void set(int i, int j, double v) {
        a[i * cols + j] = v;
    }

    public Matrix transpose() {
        Matrix t = new Matrix(cols, rows);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t.a[j * rows + i] = a[i * cols + j];
            }
        }
        return t;
    }

    public Matrix times(Matrix o) {
        if (cols != o.rows) {
            throw new IllegalArgumentException(rows + "x" + cols + " times " + o.rows + "x" + o.cols);
        }
        Matrix out = new Matrix(rows, o.cols);
        for (int i = 0; i < rows; i++) {
            int outRow = i * o.cols;
            for (int k = 0; k < cols; k++) {
                double v = a[i * cols + k];
                if (v == 0) {
                    continue;
                }
                int oRow = k * o.cols;
                for (int j = 0; j < o.cols; j++) {
                    out.a[outRow + j] += v * o.a[oRow + j];
                }
            }
        }
        return out;
    }

    /** @return the first {@code n} columns */
    public Matrix leftColumns(int n) {
        Matrix out = new Matrix(rows, n);
        for (int i = 0; i < rows; i++) {
            System.arraycopy(a, i * cols, out.a, i * n, n);
        }
        return out;
    }

    /** @return the first {@code n} rows */
    public Matrix topRows(int n) {
        return new Matrix(n, cols, Arrays.copyOf(a, n * cols));
    }

    /** @return this matrix with column j multiplied by {@code d[j]} (i.e. this · diag(d)) */
    public Matrix scaleColumns(double[] d) {
        Matrix out = new Matrix(rows, cols, a.clone());
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out.a[i * cols + j] *= d[j];
            }
        }
        return out;
    }

    /** @return this matrix with row i multiplied by {@code d[i]} (i.e. diag(d) · this) */
    public Matrix scaleRows(double[] d) {
        Matrix out = new Matrix(rows, cols, a.clone());
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out.a[i * cols + j] *= d[i];
            }
        }
        return out;
    }

    /** The reduced QR decomposition: Q [m, k] with orthonormal columns, R [k, n] upper triangular, k = min(m, n). */
    public record Qr(Matrix q, Matrix r) {}

    /**
     * Householder QR with LAPACK's sign convention ({@code geqrf}: each reflector maps x to
     * {@code -sign(x0)·|x|·e0}, and is skipped when x is already along e0), so Q and R are the ones
     * {@code torch.linalg.qr} returns up to rounding.
     */
    public Qr qr() {
        int m = rows;
        int n = cols;
        int k = Math.min(m, n);
        double[][] col = columns();
        double[][] v = new double[k][];
        double[] tau = new double[k];
        for (int j = 0; j < k; j++) {
            double[] x = col[j];
            double alpha = x[j];
            double xnorm = 0;
            for (int i = j + 1; i < m; i++) {
                xnorm += x[i] * x[i];
            }
            xnorm = Math.sqrt(xnorm);
            double[] vj = new double[m];
            vj[j] = 1;
            if (xnorm == 0) {
                tau[j] = 0;
                v[j] = vj;
                continue;
            }
            double beta = -Math.copySign(Math.hypot(alpha, xnorm), alpha);
            tau[j] = (beta - alpha) / beta;
            double scale = 1 / (alpha - beta);
            for (int i = j + 1; i < m; i++) {
                vj[i] = x[i] * scale;
            }
            v[j] = vj;
            x[j] = beta;
            for (int i = j + 1; i < m; i++) {
                x[i] = 0;
            }
            for (int c = j + 1; c < n; c++) {
                reflect(col[c], vj, tau[j], j);
            }
        }
        Matrix r = new Matrix(k, n);
        for (int i = 0; i < k; i++) {
            for (int c = i; c < n; c++) {
                r.set(i, c, col[c][i]);
            }
        }
        // Q = H_0 H_1 ... H_{k-1} applied to the first k columns of the identity.
        double[][] qCols = new double[k][];
        for (int c = 0; c < k; c++) {
            double[] e = new double[m];
            e[c] = 1;
            for (int j = k - 1; j >= 0; j--) {
                reflect(e, v[j], tau[j], j);
            }
            qCols[c] = e;
        }
        return new Qr(fromColumns(m, qCols), r);
    }

    private static void reflect(double[] x, double[] v, double tau, int from) {
        if (tau == 0) {
            return;
        }
        double dot = 0;
        for (int i = from; i < x.length; i++) {
            dot += v[i] * x[i];
        }
        double f = tau * dot;
        for (int i = from; i < x.length; i++) {
            x[i] -= f * v[i];
        }
    }

    /**
     * The thin SVD: U [m, k], singular values s (k, descending), Vt [k, n], k = min(m, n).
     *
     * @param u left singular vectors as columns
     * @param s singular values, descending
     * @param vt right singular vectors as rows
     */
    public record Svd(Matrix u, double[] s, Matrix vt) {}

    /**
     * The thin SVD by one-sided Jacobi rotations (Hestenes): accurate to working precision; its cost
     * grows as rows·cols² per sweep, fine for the layer sizes of tests and small models.
     */
    public Svd svd() {
        if (rows < cols) {
            Svd t = transpose().svd();
            return new Svd(t.vt.transpose(), t.s, t.u.transpose());
        }
        int m = rows;
        int n = cols;
        double[][] u = columns();
        double[][] v = new double[n][n];
        for (int j = 0; j < n; j++) {
            v[j][j] = 1;
        }
        double eps = 1e-15;
        for (int sweep = 0; sweep < 80; sweep++) {
            boolean rotated = false;
            for (int p = 0; p < n - 1; p++) {
                for (int q = p + 1; q < n; q++) {
                    double alpha = dot(u[p], u[p]);
                    double beta = dot(u[q], u[q]);
                    double gamma = dot(u[p], u[q]);
                    if (gamma == 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) {
                        continue;
                    }
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = Math.signum(zeta) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
                    if (zeta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(1 + t * t);
                    double s = c * t;
                    rotate(u[p], u[q], c, s);
                    rotate(v[p], v[q], c, s);
                }
            }
            if (!rotated) {
                break;
            }
        }
        double[] sigma = new double[n];
        for (int j = 0; j < n; j++) {
            sigma[j] = Math.sqrt(dot(u[j], u[j]));
        }
        Integer[] order = new Integer[n];
        for (int j = 0; j < n; j++) {
            order[j] = j;
        }
        Arrays.sort(order, (x, y) -> Double.compare(sigma[y], sigma[x]));
        double[][] uc = new double[n][];
        double[] s = new double[n];
        Matrix vt = new Matrix(n, n);
        for (int j = 0; j < n; j++) {
            int src = order[j];
            s[j] = sigma[src];
            double[] col = u[src].clone();
            if (s[j] > 0) {
                for (int i = 0; i < m; i++) {
                    col[i] /= s[j];
                }
            }
            uc[j] = col;
            System.arraycopy(v[src], 0, vt.a, j * n, n);
        }
        return new Svd(fromColumns(m, uc), s, vt);
    }

    /**
     * The thin SVD of the product {@code left · right} without forming it: QR of both factors, then
     * the SVD of the small core. Exact (same singular triplets as the SVD of the product).
     */
    public static Svd svdOfProduct(Matrix left, Matrix right) {
        Qr l = left.qr();
        Qr r = right.transpose().qr();
        Svd core = l.r().times(r.r().transpose()).svd();
        return new Svd(l.q().times(core.u()), core.s(), core.vt().times(r.q().transpose()));
    }

    private static void rotate(double[] x, double[] y, double c, double s) {
        for (int i = 0; i < x.length; i++) {
            double xi = x[i];
            double yi = y[i];
            x[i] = c * xi - s * yi;
            y[i] = s * xi + c * yi;
        }
    }

    private static double dot(double[] x, double[] y) {
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            sum += x[i] * y[i];
        }
        return sum;
    }

    private double[][] columns() {
        double[][] out = new double[cols][rows];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                out[j][i] = a[i * cols + j];
            }
        }
        return out;
    }

    private static Matrix fromColumns(int rows, double[][] cols) {
        Matrix m = new Matrix(rows, cols.length);
        for (int j = 0; j < cols.length; j++) {
            for (int i = 0; i < rows; i++) {
                m.a[i * cols.length + j] = cols[j][i];
            }
        }
        return m;
    }
}
